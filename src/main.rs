//! The `arrears` binary: everything lives in the library; see `arrears::cli`.

fn main() -> std::process::ExitCode {
    arrears::cli::main()
}
