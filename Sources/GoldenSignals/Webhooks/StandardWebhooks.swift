import Foundation

/// Signatures of the Standard Webhooks specification: `v1,` + base64(HMAC-SHA256(secret,
/// `id.timestamp.body`)), the secret being the base64 after `whsec_`.
public enum StandardWebhooks {
    /// The `webhook-signature` value, or nil when the secret is not `whsec_` + base64.
    public static func signature(secret: String, id: String, timestamp: Int64, body: [UInt8]) -> String? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))) else { return nil }
        let content = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Data(Crypto.hmacSHA256(key: Array(key), data: content)).base64EncodedString()
    }
}
