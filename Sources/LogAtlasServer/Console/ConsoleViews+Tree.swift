import Foundation

extension ConsoleViews {
    /// A view model as nested dictionaries and arrays, each value reflected once. swift-mustache looks a name up in a
    /// struct with a new `Mirror` every time (and again in every enclosing context while it climbs the stack), which
    /// was two thirds of the time of a 1,000-system readiness page; a dictionary it reads by key (`MustacheParent`).
    /// Absent optionals are left out, which a template cannot tell from a nil one.
    static func tree(_ value: Any) -> Any? {
        switch value {
        case is String, is Bool, is any BinaryInteger, is any BinaryFloatingPoint, is [String: String]: return value
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.flatMap { tree($0.value) }
        case .struct, .class:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label, let field = tree(child.value) { fields[label] = field }
            }
            return fields
        case .collection, .set:
            return mirror.children.compactMap { tree($0.value) }
        default:
            return value
        }
    }
}
