// SPDX-License-Identifier: Apache-2.0
import CBLAS
import CKernelsCPU

extension CPUBackend {
    /// out = x · Wᵀ.
    ///
    /// Few tokens (decode): the C kernel streams each weight row once for all tokens, quantized weights staying
    /// quantized (bound by weight bytes). Many tokens (prefill): tiles of W are dequantized to float32 into a
    /// cache-sized scratch and multiplied with OpenBLAS `sgemm` (bound by FLOPs).
    public func matmul(_ x: Tensor, _ weight: WeightMatrix, into out: Tensor) throws(KernelError) {
        let numTokens = x.rows
        guard x.columns == weight.columns, out.count == numTokens * weight.rows else {
            throw .shapeMismatch("x \(x.shape) · W[\(weight.rows), \(weight.columns)]ᵀ into \(out.shape)")
        }
        if numTokens < sgemmThreshold {
            let status = weight.withRawPointer { w in
                ferry_cpu_matmul(pool, weight.type.kernelType, w, Int64(weight.rows), Int64(weight.columns),
                                 x.pointer, Int64(numTokens), out.pointer)
            }
            try check(status, "matmul \(numTokens)×\(weight.columns) · \(weight.type)[\(weight.rows)]")
            return
        }
        if weight.type == .f32 {
            weight.withRawPointer { w in
                sgemm(x: x.pointer, numTokens: numTokens, w: w.assumingMemoryBound(to: Float.self),
                      rows: weight.rows, columns: weight.columns, out: out.pointer, ldOut: weight.rows)
            }
            return
        }
        try dequantizedProduct(x, weight, into: out)
    }

    /// The prefill path for non-f32 weights: dequantize ~4 MB tiles of rows and `sgemm` each into its columns of out.
    private func dequantizedProduct(_ x: Tensor, _ weight: WeightMatrix, into out: Tensor) throws(KernelError) {
        let columns = weight.columns
        let tileRows = min(weight.rows, max(64, (1 << 20) / columns))
        let tileBytes = tileRows * columns * MemoryLayout<Float>.size
        if (dequantizedTile?.byteCount ?? 0) < tileBytes { dequantizedTile = try DeviceBuffer(byteCount: tileBytes) }
        let tile = dequantizedTile!.floats
        guard let rowBytes = weight.type.rowBytes(columns: columns) else {
            throw .shapeMismatch("\(columns) columns are not whole \(weight.type) blocks")
        }
        var start = 0
        while start < weight.rows {
            let count = min(tileRows, weight.rows - start)
            let status = weight.withRawPointer { w in
                ferry_cpu_dequantize(weight.type.kernelType, w + start * rowBytes, tile, Int64(count), Int64(columns))
            }
            try check(status, "dequantize \(count) rows of \(weight.type)")
            sgemm(x: x.pointer, numTokens: x.rows, w: tile, rows: count, columns: columns,
                  out: out.pointer + start, ldOut: weight.rows)
            start += count
        }
    }

    /// out[t, r] = Σ_c x[t, c] · w[r, c] through OpenBLAS; out rows are `ldOut` floats apart.
    private func sgemm(x: UnsafePointer<Float>, numTokens: Int, w: UnsafePointer<Float>, rows: Int, columns: Int,
                       out: UnsafeMutablePointer<Float>, ldOut: Int)
    {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(numTokens), blasint(rows), blasint(columns),
                    1.0, x, blasint(columns), w, blasint(columns), 0.0, out, blasint(ldOut))
    }
}
