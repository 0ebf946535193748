import Foundation
import Testing
@testable import Data

@Suite("Five- and ten-crop")
struct MultiCropTests {
    /// A one-channel 4 x 5 image whose pixel (y, x) holds y * 5 + x.
    static let image = Sample(values: (0..<20).map(Float.init), shape: [1, 4, 5], label: 0, source: "mem/grid")

    @Test("ten 2 x 3 crops of a 4 x 5 grid: corners, centre, then the same of the mirrored image (torchvision's order)")
    func tenCropByHand() throws {
        let out = try MultiCrop.ten(height: 2, width: 3).apply(Self.image)
        #expect(out.shape == [10, 1, 2, 3])
        let expected: [[Float]] = [
            [0, 1, 2, 5, 6, 7], // top-left (0, 0)
            [2, 3, 4, 7, 8, 9], // top-right (0, 2)
            [10, 11, 12, 15, 16, 17], // bottom-left (2, 0)
            [12, 13, 14, 17, 18, 19], // bottom-right (2, 2)
            [6, 7, 8, 11, 12, 13], // centre (round(1), round(1))
            // Mirrored image: pixel (y, x) holds y * 5 + 4 − x.
            [4, 3, 2, 9, 8, 7],
            [2, 1, 0, 7, 6, 5],
            [14, 13, 12, 19, 18, 17],
            [12, 11, 10, 17, 16, 15],
            [8, 7, 6, 13, 12, 11],
        ]
        // torchvision.transforms.TenCrop((2, 3)) on torch.arange(20.).reshape(1, 4, 5) gives these ten views.
        #expect(out.values == expected.flatMap { $0 })
        #expect(out.label == 0 && out.source == "mem/grid")
        // The fifth view is CenterCrop's crop.
        #expect(Array(out.values[24..<30]) == (try CenterCrop(height: 2, width: 3).apply(Self.image)).values)
        // Five-crop is the first five views.
        let five = try MultiCrop.five(height: 2, width: 3).apply(Self.image)
        #expect(five.shape == [5, 1, 2, 3] && five.values == Array(out.values[0..<30]))
        #expect(MultiCrop.ten(height: 2, width: 3).description == "TenCrop(2x3)")
    }

    @Test("channels are cropped together; an image smaller than the crop is an error naming the sample")
    func channelsAndErrors() throws {
        let two = Sample(values: (0..<8).map(Float.init) + (0..<8).map { Float(100 + $0) }, shape: [2, 2, 4], label: 1)
        let out = try MultiCrop.ten(height: 2, width: 3).apply(two)
        #expect(out.shape == [10, 2, 2, 3])
        // View 1 (top-right, columns 1...3) of both channels.
        #expect(Array(out.values[12..<24]) == [1, 2, 3, 5, 6, 7, 101, 102, 103, 105, 106, 107])
        do {
            _ = try MultiCrop.ten(height: 5, width: 3).apply(Self.image)
            Issue.record("expected an error")
        } catch let error as DataError {
            #expect("\(error)".contains("mem/grid") && "\(error)".contains("smaller than the crop"))
        }
    }
}
