//! Image datasets in pure Rust (no libtorch needed): CIFAR-10 binary, MNIST and Fashion-MNIST IDX
//! (plain or gzipped, as Debian's `dataset-fashion-mnist` ships them), and a seeded synthetic
//! CIFAR-shaped set. Pixels are scaled to [0, 1] and standardized per channel with the training
//! set's mean and standard deviation (the test set is not allowed its own statistics).

use std::path::{Path, PathBuf};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Error, Result};

/// Images [n][c][h][w] as f32 and their labels.
#[derive(Debug, Clone)]
pub struct ImageSet {
    /// Pixels, standardized.
    pub pixels: Vec<f32>,
    /// Labels 0..classes.
    pub labels: Vec<u8>,
    /// Channels.
    pub channels: usize,
    /// Height = width.
    pub side: usize,
    /// Number of classes.
    pub classes: usize,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Per-channel (mean, standard deviation) of the pixels.
    fn channel_stats(&self) -> Vec<(f64, f64)> {
        let area = self.side * self.side;
        (0..self.channels)
            .map(|c| {
                let mut sum = 0.0f64;
                let mut sq = 0.0f64;
                for n in 0..self.len() {
                    let at = (n * self.channels + c) * area;
                    for p in &self.pixels[at..at + area] {
                        sum += *p as f64;
                        sq += (*p as f64) * (*p as f64);
                    }
                }
                let count = (self.len() * area).max(1) as f64;
                let mean = sum / count;
                (mean, (sq / count - mean * mean).max(1e-12).sqrt())
            })
            .collect()
    }

    /// x ← (x − mean_c) / std_c per channel c.
    fn standardize_with(&mut self, stats: &[(f64, f64)]) {
        let area = self.side * self.side;
        for n in 0..self.len() {
            for (c, (mean, std)) in stats.iter().enumerate() {
                let at = (n * self.channels + c) * area;
                for p in &mut self.pixels[at..at + area] {
                    *p = ((*p as f64 - mean) / std) as f32;
                }
            }
        }
    }
}

/// Debian's `dataset-fashion-mnist` (60,000 + 10,000 gzipped IDX files).
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Where training data comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum DataSource {
    /// CIFAR-10 binary version: data_batch_1..5.bin and test_batch.bin in the directory.
    Cifar10(PathBuf),
    /// MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-…, each plain or
    /// with `.gz`) in the directory.
    Mnist(PathBuf),
    /// Fashion-MNIST: the same IDX layout (Debian's package ships it gzipped in
    /// [`FASHION_MNIST_DIR`]).
    FashionMnist(PathBuf),
    /// Seeded CIFAR-shaped data: class templates plus noise.
    Synthetic {
        /// Training images.
        train: usize,
        /// Test images.
        test: usize,
    },
}

impl DataSource {
    /// Parses `cifar10:DIR`, `mnist:DIR`, `fashion-mnist[:DIR]` or `synthetic`
    /// (`synthetic:TRAIN,TEST`).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid("--data", text, why);
        match text.split_once(':') {
            Some(("cifar10", dir)) if !dir.is_empty() => Ok(DataSource::Cifar10(dir.into())),
            Some(("mnist", dir)) if !dir.is_empty() => Ok(DataSource::Mnist(dir.into())),
            Some(("fashion-mnist", dir)) if !dir.is_empty() => {
                Ok(DataSource::FashionMnist(dir.into()))
            }
            None if text == "fashion-mnist" => {
                Ok(DataSource::FashionMnist(FASHION_MNIST_DIR.into()))
            }
            Some(("synthetic", sizes)) => {
                let (a, b) = sizes
                    .split_once(',')
                    .ok_or_else(|| bad("expected synthetic:TRAIN,TEST"))?;
                let train = a
                    .trim()
                    .parse()
                    .map_err(|_| bad("expected synthetic:TRAIN,TEST"))?;
                let test = b
                    .trim()
                    .parse()
                    .map_err(|_| bad("expected synthetic:TRAIN,TEST"))?;
                if train < 2 || test < 1 {
                    return Err(bad("need at least 2 training and 1 test image"));
                }
                Ok(DataSource::Synthetic { train, test })
            }
            None if text == "synthetic" => Ok(DataSource::Synthetic {
                train: 2048,
                test: 512,
            }),
            _ => Err(bad(
                "expected cifar10:DIR, mnist:DIR, fashion-mnist[:DIR] or synthetic[:TRAIN,TEST]",
            )),
        }
    }

    /// (train, test) sets.
    pub fn load(&self, seed: u64) -> Result<(ImageSet, ImageSet)> {
        let (mut train, mut test) = match self {
            DataSource::Cifar10(dir) => {
                let files: Vec<PathBuf> = (1..=5)
                    .map(|i| dir.join(format!("data_batch_{i}.bin")))
                    .collect();
                (
                    read_cifar(&files)?,
                    read_cifar(&[dir.join("test_batch.bin")])?,
                )
            }
            DataSource::Mnist(dir) | DataSource::FashionMnist(dir) => (
                read_mnist(
                    &idx_file(dir, "train-images-idx3-ubyte"),
                    &idx_file(dir, "train-labels-idx1-ubyte"),
                )?,
                read_mnist(
                    &idx_file(dir, "t10k-images-idx3-ubyte"),
                    &idx_file(dir, "t10k-labels-idx1-ubyte"),
                )?,
            ),
            DataSource::Synthetic { train, test } => synthetic(*train, *test, seed),
        };
        let stats = train.channel_stats();
        train.standardize_with(&stats);
        test.standardize_with(&stats);
        Ok((train, test))
    }
}

/// `dir/name`, or `dir/name.gz` when only the gzipped file is there.
fn idx_file(dir: &Path, name: &str) -> PathBuf {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if !plain.exists() && gz.exists() {
        gz
    } else {
        plain
    }
}

/// Largest decompressed file accepted (Fashion-MNIST's training images are 47 MB).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// The file's bytes, gunzipped when it starts with gzip's magic 1f 8b.
fn read(path: &Path) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let bytes = std::fs::read(path).map_err(io)?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::invalid("--data", path.display(), format!("bad gzip: {e}")))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(Error::invalid(
            "--data",
            path.display(),
            "decompresses to more than 1 GiB",
        ));
    }
    Ok(out)
}

/// CIFAR-10 binary: records of 1 label byte and 3×32×32 pixel bytes.
pub fn read_cifar(files: &[PathBuf]) -> Result<ImageSet> {
    const RECORD: usize = 1 + 3 * 32 * 32;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for f in files {
        let bytes = read(f)?;
        if bytes.is_empty() || bytes.len() % RECORD != 0 {
            return Err(Error::invalid(
                "--data",
                f.display(),
                format!(
                    "not CIFAR-10 binary: {} bytes is not a multiple of {RECORD}",
                    bytes.len()
                ),
            ));
        }
        for rec in bytes.chunks(RECORD) {
            if rec[0] > 9 {
                return Err(Error::invalid(
                    "--data",
                    f.display(),
                    format!("label {} outside 0..9", rec[0]),
                ));
            }
            labels.push(rec[0]);
            pixels.extend(rec[1..].iter().map(|&b| b as f32 / 255.0));
        }
    }
    Ok(ImageSet {
        pixels,
        labels,
        channels: 3,
        side: 32,
        classes: 10,
    })
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// MNIST IDX: magic 2051 images (n, 28, 28) and magic 2049 labels (n).
pub fn read_mnist(images: &Path, labels: &Path) -> Result<ImageSet> {
    let img = read(images)?;
    let lab = read(labels)?;
    let bad = |p: &Path, why: String| Error::invalid("--data", p.display(), why);
    if img.len() < 16 || be_u32(&img, 0) != 2051 {
        return Err(bad(images, "not an IDX image file (magic 2051)".into()));
    }
    if lab.len() < 8 || be_u32(&lab, 0) != 2049 {
        return Err(bad(labels, "not an IDX label file (magic 2049)".into()));
    }
    let n = be_u32(&img, 4) as usize;
    let (rows, cols) = (be_u32(&img, 8) as usize, be_u32(&img, 12) as usize);
    if rows != cols || img.len() != 16 + n * rows * cols {
        return Err(bad(
            images,
            format!(
                "size {} does not match {n} images of {rows}x{cols}",
                img.len()
            ),
        ));
    }
    if be_u32(&lab, 4) as usize != n || lab.len() != 8 + n {
        return Err(bad(labels, format!("expected {n} labels")));
    }
    if let Some(l) = lab[8..].iter().find(|&&l| l > 9) {
        return Err(bad(labels, format!("label {l} outside 0..9")));
    }
    Ok(ImageSet {
        pixels: img[16..].iter().map(|&b| b as f32 / 255.0).collect(),
        labels: lab[8..].to_vec(),
        channels: 1,
        side: rows,
        classes: 10,
    })
}

/// Seeded CIFAR-shaped data: 10 smooth class templates plus pixel noise.
pub fn synthetic(train: usize, test: usize, seed: u64) -> (ImageSet, ImageSet) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5359_4e54);
    let size = 3 * 32 * 32;
    let templates: Vec<Vec<f32>> = (0..10)
        .map(|_| {
            let (a, b, c): (f64, f64, f64) = (
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut rng),
            );
            (0..size)
                .map(|i| {
                    let (ch, y, x) = (i / 1024, (i / 32) % 32, i % 32);
                    (0.5 + 0.25 * ((a * y as f64 / 8.0 + b * x as f64 / 8.0 + c * ch as f64).sin()))
                        as f32
                })
                .collect()
        })
        .collect();
    let mut make = |n: usize| {
        let mut pixels = Vec::with_capacity(n * size);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let y = (i % 10) as u8;
            labels.push(y);
            for p in &templates[y as usize] {
                let noise: f64 = StandardNormal.sample(&mut rng);
                pixels.push(p + (0.2 * noise) as f32);
            }
        }
        ImageSet {
            pixels,
            labels,
            channels: 3,
            side: 32,
            classes: 10,
        }
    };
    let tr = make(train);
    let te = make(test);
    (tr, te)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("explr-data-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn reads_cifar_binary_records() {
        let d = tmp("cifar");
        let mut bytes = Vec::new();
        for label in [3u8, 7] {
            bytes.push(label);
            bytes.extend(std::iter::repeat_n(label * 10, 3072));
        }
        let f = d.join("b.bin");
        std::fs::write(&f, &bytes).unwrap();
        let set = read_cifar(std::slice::from_ref(&f)).unwrap();
        assert_eq!(set.labels, [3, 7]);
        assert_eq!(set.pixels.len(), 2 * 3072);
        assert!((set.pixels[3072] - 70.0 / 255.0).abs() < 1e-7);
        std::fs::write(&f, &bytes[..100]).unwrap();
        assert!(read_cifar(&[f]).is_err());
    }

    #[test]
    fn reads_mnist_idx_and_rejects_bad_magic() {
        let d = tmp("mnist");
        let mut img = Vec::new();
        for v in [2051u32, 2, 2, 2] {
            img.extend(v.to_be_bytes());
        }
        img.extend([0u8, 255, 128, 0, 1, 2, 3, 4]);
        let mut lab = Vec::new();
        for v in [2049u32, 2] {
            lab.extend(v.to_be_bytes());
        }
        lab.extend([5u8, 9]);
        std::fs::write(d.join("i"), &img).unwrap();
        std::fs::write(d.join("l"), &lab).unwrap();
        let set = read_mnist(&d.join("i"), &d.join("l")).unwrap();
        assert_eq!((set.len(), set.side, set.channels), (2, 2, 1));
        assert!((set.pixels[1] - 1.0).abs() < f32::EPSILON);
        assert!(read_mnist(&d.join("l"), &d.join("i")).is_err());
    }

    /// The same IDX files gzipped (as Debian ships Fashion-MNIST) read to the same set, found by
    /// `idx_file` when only the `.gz` exists; a truncated gzip is a one-line `--data` error.
    #[test]
    fn reads_gzipped_idx() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let d = tmp("gz");
        let mut img = Vec::new();
        for v in [2051u32, 3, 2, 2] {
            img.extend(v.to_be_bytes());
        }
        img.extend((0u8..12).map(|b| b * 20));
        let mut lab = Vec::new();
        for v in [2049u32, 3] {
            lab.extend(v.to_be_bytes());
        }
        lab.extend([1u8, 0, 9]);
        let gzip = |bytes: &[u8]| {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        };
        std::fs::write(d.join("train-images-idx3-ubyte.gz"), gzip(&img)).unwrap();
        std::fs::write(d.join("train-labels-idx1-ubyte.gz"), gzip(&lab)).unwrap();
        std::fs::write(d.join("plain-i"), &img).unwrap();
        std::fs::write(d.join("plain-l"), &lab).unwrap();
        let images = idx_file(&d, "train-images-idx3-ubyte");
        assert!(images.ends_with("train-images-idx3-ubyte.gz"));
        let set = read_mnist(&images, &idx_file(&d, "train-labels-idx1-ubyte")).unwrap();
        let plain = read_mnist(&d.join("plain-i"), &d.join("plain-l")).unwrap();
        assert_eq!((set.labels.clone(), set.side), (vec![1, 0, 9], 2));
        assert_eq!(set.pixels, plain.pixels);
        let gz = gzip(&img);
        std::fs::write(d.join("cut.gz"), &gz[..gz.len() / 2]).unwrap();
        let e = read(&d.join("cut.gz")).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid --data: ") && e.contains("bad gzip"),
            "{e}"
        );
    }

    /// Both sets are standardized with the training set's per-channel statistics: the training
    /// pixels get mean 0 and standard deviation 1, the test pixels keep their offset from them.
    #[test]
    fn test_set_is_standardized_with_training_statistics() {
        let set = |values: &[f32]| ImageSet {
            pixels: values.to_vec(),
            labels: vec![0; values.len()],
            channels: 1,
            side: 1,
            classes: 10,
        };
        let mut train = set(&[0.0, 1.0, 2.0, 3.0]);
        let mut test = set(&[1.5, 10.0]);
        let stats = train.channel_stats();
        // mean 1.5, variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25.
        assert!((stats[0].0 - 1.5).abs() < 1e-12 && (stats[0].1 - 1.25f64.sqrt()).abs() < 1e-12);
        train.standardize_with(&stats);
        test.standardize_with(&stats);
        assert!(test.pixels[0].abs() < 1e-7);
        assert!((test.pixels[1] - (8.5 / 1.25f64.sqrt()) as f32).abs() < 1e-5);
    }

    #[test]
    fn synthetic_is_seeded_and_sources_parse() {
        let (a, _) = synthetic(20, 5, 1);
        let (b, _) = synthetic(20, 5, 1);
        assert_eq!(a.pixels, b.pixels);
        assert_eq!(
            DataSource::parse("synthetic:10,4").unwrap(),
            DataSource::Synthetic { train: 10, test: 4 }
        );
        assert!(DataSource::parse("imagenet:/x").is_err());
        assert_eq!(
            DataSource::parse("fashion-mnist").unwrap(),
            DataSource::FashionMnist(FASHION_MNIST_DIR.into())
        );
        assert_eq!(
            DataSource::parse("fashion-mnist:/d").unwrap(),
            DataSource::FashionMnist("/d".into())
        );
        assert!(DataSource::parse("cifar10:").is_err());
    }
}
