// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The rotary position embedding's inverse frequencies, with Hugging Face's `rope_scaling` variants applied.
public struct RotaryEmbedding: Sendable, Equatable {
    /// Shape: [rotaryDim / 2]. Angle of pair i at position p is p · inverseFrequencies[i].
    public let inverseFrequencies: [Float]

    /// - Parameters:
    ///   - rotaryDim: rotated elements per head (the head dimension for Llama-family models).
    ///   - theta: `rope_theta`, the base (10 000 by default).
    ///   - scaling: `rope_scaling` from config.json, or nil.
    public init(rotaryDim: Int, theta: Double, scaling: RopeScaling?) {
        var frequencies = (0..<(rotaryDim / 2)).map { i in
            1.0 / pow(theta, Double(2 * i) / Double(rotaryDim))
        }
        switch scaling {
        case .none:
            break
        case .linear(let factor):
            frequencies = frequencies.map { $0 / factor }
        case .llama3(let factor, let lowFreqFactor, let highFreqFactor, let originalMaxPositions):
            // Note: long wavelengths are slowed by `factor`, short ones kept, the band between blended (Llama 3.1).
            let old = Double(originalMaxPositions)
            let lowWavelength = old / lowFreqFactor
            let highWavelength = old / highFreqFactor
            frequencies = frequencies.map { frequency in
                let wavelength = 2 * Double.pi / frequency
                if wavelength < highWavelength { return frequency }
                if wavelength > lowWavelength { return frequency / factor }
                let smooth = (old / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
                return (1 - smooth) * frequency / factor + smooth * frequency
            }
        }
        inverseFrequencies = frequencies.map { Float($0) }
    }
}
