import ArgumentParser

/// `--device`, shared by every command that runs models (`extract`, `rank --hub`,
/// `tune`, `demo`). Parsed here as a name (this target does not link libtorch); the
/// deep-learning layer resolves it, so `cuda` without a GPU fails there with what is missing.
public struct DeviceOptions: ParsableArguments {
    public init() {}

    public static let choices = ["cpu", "cuda", "auto"]

    @Option(help: "cpu, cuda or auto: where the models run (auto: the first GPU when there is one, else the CPU).")
    public var device: String = "auto"

    public func validate() throws {
        guard Self.choices.contains(device) else { throw ValidationError("--device must be cpu, cuda or auto, got '\(device)'") }
    }
}
