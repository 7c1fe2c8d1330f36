import SparkCLI

await SparkPlugCommand.main()
