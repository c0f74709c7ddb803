fn main() -> std::process::ExitCode {
    deskbell_app::run()
}
