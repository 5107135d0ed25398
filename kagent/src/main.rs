fn main() {
    if std::env::args().any(|a| a == "--version") {
        println!("kagent {}", env!("CARGO_PKG_VERSION"));
    }
}
