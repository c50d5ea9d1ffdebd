// SPDX-License-Identifier: Apache-2.0
import CKernelsCPU

extension CPUBackend {
    /// out = x · Wᵀ.
    ///
    /// Few tokens (decode): the C kernel streams each weight row once for all tokens, quantized weights staying
    /// quantized (bound by weight bytes). Many tokens (prefill): each pool thread dequantizes tiles of its share of
    /// W's rows to float32 and multiplies them with single-threaded OpenBLAS `sgemm` (bound by FLOPs).
    public func matmul(_ x: Tensor, _ weight: WeightMatrix, into out: Tensor) throws(KernelError) {
        let numTokens = x.rows
        guard x.columns == weight.columns, out.count == numTokens * weight.rows else {
            throw .shapeMismatch("x \(x.shape) · W[\(weight.rows), \(weight.columns)]ᵀ into \(out.shape)")
        }
        if numTokens < sgemmThreshold || (weight.type.isQuantized && numTokens < quantizedSgemmThreshold) {
            let status = weight.withRawPointer { w in
                ferry_cpu_matmul(pool, weight.type.kernelType, w, Int64(weight.rows), Int64(weight.columns),
                                 x.pointer, Int64(numTokens), out.pointer)
            }
            try check(status, "matmul \(numTokens)×\(weight.columns) · \(weight.type)[\(weight.rows)]")
            return
        }
        let status = weight.withRawPointer { w in
            ferry_cpu_gemm(pool, weight.type.kernelType, w, Int64(weight.rows), Int64(weight.columns), x.pointer,
                           Int64(numTokens), out.pointer)
        }
        try check(status, "gemm \(numTokens)×\(weight.columns) · \(weight.type)[\(weight.rows)]")
    }
}
