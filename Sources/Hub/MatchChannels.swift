import Data
import Support

/// Brings an image to the channel count a model expects: a grey image (1 channel)
/// is repeated to 3 for an RGB model; the same count passes through. Anything else
/// is an error naming the sample. An adapter on the hub side: `DatasetLoader.open`
/// keeps MNIST-style idx files grey whatever the requested channel mode.
package struct MatchChannels: Transform {
    package let channels: Int

    package init(channels: Int) { self.channels = channels }

    package var description: String { "MatchChannels(\(channels))" }

    package func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        guard sample.shape.count == 3 else { return sample }
        let c = sample.shape[0]
        if c == channels { return sample }
        guard c == 1 else {
            throw DataError.transformFailed(
                transform: description, sample: sample.source ?? "(sample)",
                reason: "the image has \(c) channels, the model takes \(channels)")
        }
        var out = sample
        out.shape[0] = channels
        out.values = Array([[Float]](repeating: sample.values, count: channels).joined())
        return out
    }
}
