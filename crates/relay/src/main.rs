fn main() -> std::process::ExitCode {
    deskbell_relay::cli::main()
}
