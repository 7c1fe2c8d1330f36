import SparkCLI

/// The executable: everything lives in SparkCLI so it can be tested.
@main
struct SparkPlugMain {
    static func main() async {
        await SparkPlugCommand.main()
    }
}
