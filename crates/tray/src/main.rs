fn main() -> std::process::ExitCode {
    deskbell_tray::run()
}
