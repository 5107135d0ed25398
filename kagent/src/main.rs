//! kagent: a Wire-protocol agent kernel (JSON-RPC 2.0 over stdio) compatible with
//! `kimi --wire` of kimi-cli 1.51.

mod app;
mod cli;
mod config;
mod llm;
mod logging;
mod pyjson;
mod session;
mod soul;
mod tools;
mod wire;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
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
    match runtime.block_on(app::run(cli)) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("{e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
