// SPDX-License-Identifier: Apache-2.0

/// Why a chat template could not be parsed or rendered.
public enum ChatTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The template is not valid Jinja (or uses something this engine does not support); `line` is 1-based.
    case syntax(line: Int, message: String)
    /// The template called `raise_exception(message)`: usually the messages do not fit the model (e.g.
    /// "System role not supported"). The message is the template's own text.
    case raised(String)
    /// Rendering failed: a Python `TypeError`/`UndefinedError`-style failure (with Python's message, e.g.
    /// `'NoneType' object is not iterable`), or a resource limit of ``ChatTemplate/Limits`` was hit.
    case runtime(String)

    public var description: String {
        switch self {
        case .syntax(let line, let message): "chat template syntax error (line \(line)): \(message)"
        case .raised(let message): "chat template raised: \(message)"
        case .runtime(let message): "chat template error: \(message)"
        }
    }

    /// The bare message, as `str(exception)` gives it in Python.
    public var message: String {
        switch self {
        case .syntax(_, let message), .raised(let message), .runtime(let message): message
        }
    }
}
