//! With the `tch` feature: an rpath to libtorch so the binary runs without LD_LIBRARY_PATH. With
//! `cuda`: force libtorch (and through it libtorch_cuda) into the binary; without this the linker
//! drops it as unused and tch reports no CUDA.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    if std::env::var_os("CARGO_FEATURE_TCH").is_some() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    }
    if std::env::var_os("CARGO_FEATURE_CUDA").is_some() {
        println!("cargo:rustc-link-search=native={lib}");
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
        println!("cargo:rustc-link-arg=-ltorch");
        println!("cargo:rustc-link-arg=-Wl,--as-needed");
    }
}
