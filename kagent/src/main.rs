//! The `kagent` binary: parse the command line, run the kernel (see the `kagent` library).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = kagent::app::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kagent: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(kagent::app::run(cli));
    // A blocking stdin read may still be parked (e.g. after a signal): do not wait for it.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("kagent: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
