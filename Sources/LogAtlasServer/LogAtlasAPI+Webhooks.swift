import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Webhook subscriptions and their delivery log.
extension LogAtlasAPI {
    func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        .ok(.init(body: .json(try await webhooks.subscriptions(as: try RequestPrincipal.required()).map { Self.webhook($0, secret: nil) })))
    }

    func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        let body = switch input.body { case .json(let body): body }
        let caller = try RequestPrincipal.required()
        let owner: WebhookSubscription.Owner = if let org = body.org { .org(OrgID(org)) } else { .user(body.user ?? caller.name) }
        if let refusal = WebhookDestination.refusal(ofURL: body.url, allowing: broker.webhookAllow) {
            throw WebhookError.invalid([ValidationIssue(path: "url", message: "\(refusal) is not a webhook destination (an administrator may allow a range with LOGATLAS_WEBHOOK_ALLOW)")])
        }
        let (subscription, secret) = try await webhooks.subscribe(owner, url: body.url, events: body.events ?? [], as: caller, now: clock())
        return .created(.init(body: .json(Self.webhook(subscription, secret: secret))))
    }

    func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        try await webhooks.unsubscribe(try APIMapping.uuid(input.path.webhookId, kind: "webhook subscription"), as: try RequestPrincipal.required())
        return .noContent(.init())
    }

    func webhookDeliveries(_ input: Operations.WebhookDeliveries.Input) async throws -> Operations.WebhookDeliveries.Output {
        let id = try APIMapping.uuid(input.path.webhookId, kind: "webhook subscription")
        let caller = try RequestPrincipal.required()
        guard try await webhooks.subscriptions(as: caller).contains(where: { $0.id == id }) else {
            throw WebhookError.notFound(id: input.path.webhookId)
        }
        return .ok(.init(body: .json(try await webhooks.deliveries(of: id, as: caller, limit: 200).map {
            .init(event: $0.event, message: $0.attempt.messageID, attemptAt: $0.at, statusCode: $0.attempt.statusCode,
                  error: $0.attempt.error, durationMs: Int($0.attempt.duration * 1000), delivered: $0.delivered)
        })))
    }

    static func webhook(_ subscription: WebhookSubscription, secret: String?) -> Components.Schemas.Webhook {
        let (org, user): (String?, String?) = switch subscription.owner {
        case .org(let org): (org.rawValue, nil)
        case .user(let name): (nil, name)
        }
        return .init(id: subscription.id.uuidString.lowercased(), org: org, user: user, url: subscription.url.absoluteString,
                     events: subscription.events, secret: secret, createdBy: subscription.createdBy, createdAt: subscription.createdAt)
    }
}
