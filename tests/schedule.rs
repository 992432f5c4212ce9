//! `verify schedule` through the binary: the paper's checkpoint, CSV input, formats, bad input.

mod common;

use common::verify;

/// The paper: lr 0.1, wd 5e-4, momentum 0.9, 391 iterations per epoch → "LR × 1.481 per epoch".
#[test]
fn paper_setting_in_json() {
    let out = verify()
        .args([
            "schedule",
            "--format",
            "json",
            "--every",
            "391",
            "--no-plots",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let growth = json["summary"]["phases"][0]["growth_per_epoch"]
        .as_f64()
        .unwrap();
    assert!((growth - 1.481).abs() < 5e-4, "{growth}");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows[1]["iteration"], 391);
    assert!(rows.iter().all(|r| r["log10_equivalent_lr"].is_number()));
}

#[test]
fn csv_in_csv_out() {
    let dir = std::env::temp_dir().join(format!("explr-sched-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lr.csv");
    std::fs::write(&file, "step,lr\n0,0.1\n1,0.1\n2,1/20\n3,0.05\n").unwrap();
    let out = verify()
        .args([
            "schedule",
            "--schedule",
            "csv",
            "--csv",
            file.to_str().unwrap(),
            "--kind",
            "exact",
            "--format",
            "csv",
            "--no-plots",
            "--iters-per-epoch",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "iteration,epoch,lr,equivalent_lr,log10_equivalent_lr,z,log10_z,exact_over_texp"
    );
    assert_eq!(lines.len(), 5);
    // Z_0 = 1 and Z_1 = 1 − η λ = 1 − 0.1·5e-4 (the shadow's first step), so
    // η̃_0 = η_0/(Z_0 Z_1) = 0.1/0.99995.
    let first: Vec<&str> = lines[1].split(',').collect();
    let eq: f64 = first[3].parse().unwrap();
    assert!((eq - 0.1 / 0.99995).abs() < 1e-15, "{eq}");
    std::fs::write(&file, "0.1\nabc\n").unwrap();
    let out = verify()
        .args([
            "schedule",
            "--schedule",
            "csv",
            "--csv",
            file.to_str().unwrap(),
            "--no-plots",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schedule_bad_input_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--epochs", "0"], "--epochs"),
        (&["--kind", "linear"], "--kind"),
        (&["--milestones", "120,80"], "--milestones"),
        (&["--milestones", "a"], "--milestones"),
        (&["--lr", "-1"], "--lr"),
        (&["--momentum", "1"], "--momentum"),
        (&["--schedule", "csv"], "--csv"),
        (
            &["--schedule", "csv", "--csv", "/nonexistent/lr.csv"],
            "/nonexistent/lr.csv",
        ),
        (&["--weight-decay", "1"], "--weight-decay"),
        (&["--every", "0"], "--every"),
    ];
    common::assert_bad_input(&["schedule", "--no-plots"], cases);
}

#[test]
fn plot_regenerates_every_figure() {
    let dir = std::env::temp_dir().join(format!("explr-plot-{}", std::process::id()));
    let out = verify()
        .args(["plot", "--quiet", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "toy.png",
        "theorem_discrepancy.png",
        "theorem_norms.png",
        "schedule.png",
    ] {
        let png = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{name}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The Nesterov and AdamW twins through the binary: per-step columns (the AdamW twin's β₁ at
/// step 1 is 0.9(1 − ηλ) = 0.9(1 − 1e-3), hand value 0.8991), CSV headers, and the refusals.
#[test]
fn nesterov_and_adamw_twins() {
    let out = verify()
        .args([
            "schedule",
            "--optimizer",
            "adamw",
            "--lr",
            "1e-2",
            "--weight-decay",
            "0.1",
            "--epochs",
            "2",
            "--iters-per-epoch",
            "5",
            "--milestones",
            "1",
            "--format",
            "json",
            "--no-plots",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["optimizer"], "adamw");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    let beta1 = rows[1]["beta1"].as_f64().unwrap();
    assert!((beta1 - 0.8991).abs() < 1e-12, "{beta1}");
    assert!(rows[1]["momentum"].is_null());
    let out = verify()
        .args([
            "schedule",
            "--optimizer",
            "nesterov",
            "--epochs",
            "1",
            "--format",
            "csv",
        ])
        .args(["--iters-per-epoch", "4", "--no-plots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(
        "iteration,epoch,lr,equivalent_lr,log10_equivalent_lr,z,log10_z,momentum,look_ahead"
    ));
    assert_eq!(text.lines().count(), 5);
    common::assert_bad_input(
        &["schedule", "--no-plots", "--epochs", "1"],
        &[
            (
                &["--optimizer", "nesterov", "--momentum", "0"],
                "--momentum",
            ),
            (&["--optimizer", "adamw", "--beta1", "1"], "--beta1"),
            (&["--optimizer", "adamw", "--eps", "-1"], "--eps"),
            (
                &[
                    "--optimizer",
                    "adamw",
                    "--lr",
                    "20",
                    "--weight-decay",
                    "0.1",
                ],
                "--lr",
            ),
        ],
    );
}
