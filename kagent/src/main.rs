//! The `kagent` binary: parse the command line, run the kernel (see the `kagent` library).

use clap::Parser;
use kagent::app::fallback;

fn main() -> std::process::ExitCode {
    let cli = match kagent::app::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // a command line this kagent does not take (say, a newer kimi-kernel's flag) is a
            // start failure like any other when a fallback was given
            if let Some(fallback) = raw_fallback_argv().and_then(|v| fallback::parse(&v).ok()) {
                if e.use_stderr() {
                    fallback::arm(fallback);
                    let reason = e.render().to_string();
                    if let Some(code) = fallback::take_over(reason.trim()) {
                        return std::process::ExitCode::from(code);
                    }
                }
            }
            e.exit()
        }
    };
    if let Some(text) = &cli.fallback_argv {
        match fallback::parse(text) {
            Ok(f) => fallback::arm(f),
            Err(problem) => {
                eprintln!("kagent: error: {problem}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let reason = format!("cannot start the async runtime: {e}");
            if let Some(code) = fallback::take_over(&reason) {
                return std::process::ExitCode::from(code);
            }
            eprintln!("kagent: {reason}");
            return std::process::ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(kagent::app::run(cli));
    // A blocking stdin read may still be parked (e.g. after a signal): do not wait for it.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            // still armed: the error came before the session was opened
            if let Some(code) = fallback::take_over(&format!("{e:#}")) {
                return std::process::ExitCode::from(code);
            }
            eprintln!("kagent: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

/// `--fallback-argv`'s value from the raw command line (for when clap refused it).
fn raw_fallback_argv() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--fallback-argv" {
            return args.next();
        }
        if let Some(value) = arg.strip_prefix("--fallback-argv=") {
            return Some(value.to_owned());
        }
    }
    None
}
