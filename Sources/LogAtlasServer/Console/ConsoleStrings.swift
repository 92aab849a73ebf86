/// The console's languages.
public enum ConsoleLanguage: String, CaseIterable, Sendable {
    case en, ja

    /// The first supported language of an `Accept-Language` header, by quality; English when none is supported.
    public static func preferred(acceptLanguage header: String?) -> ConsoleLanguage {
        guard let header else { return .en }
        let ranked = header.split(separator: ",").enumerated().compactMap { index, part -> (String, Double, Int)? in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = fields.first?.lowercased(), !tag.isEmpty else { return nil }
            let quality = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (tag, quality, index)
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }
        for (tag, quality, _) in ranked where quality > 0 {
            if let language = ConsoleLanguage(rawValue: String(tag.prefix { $0 != "-" })) { return language }
        }
        return .en
    }
}

/// Every string of the console, in English and Japanese. A key without both is a compile error; templates name keys
/// as `{{t.key}}`, and a test checks that each key a template names is here.
enum ConsoleStrings {
    static let table: [String: (en: String, ja: String)] = [
        "product": ("LogAtlas", "LogAtlas"),
        "skip": ("Skip to content", "本文へ移動"),
        "nav_home": ("Home", "ホーム"),
        "nav_main": ("Main", "メイン"),
        "signed_in_as": ("Signed in as", "ログイン中:"),
        "sign_in": ("Sign in", "ログイン"),
        "sign_in_title": ("Sign in to LogAtlas", "LogAtlas にログイン"),
        "sign_in_intro": ("Use the user name and password your LogAtlas administrator gave you.",
                          "LogAtlas の管理者から受け取ったユーザー名とパスワードを入力してください。"),
        "username": ("User name", "ユーザー名"),
        "password": ("Password", "パスワード"),
        "wrong_credentials": ("The user name or password is wrong.", "ユーザー名またはパスワードが正しくありません。"),
        "throttled_title": ("Too many attempts", "試行回数が多すぎます"),
        "throttled": ("Too many failed sign-ins for this user or from this address. Wait ten minutes and try again.",
                      "このユーザーまたはこのアドレスからのログイン失敗が多すぎます。10 分待ってから再度お試しください。"),
        "sign_out": ("Sign out", "ログアウト"),
        "sign_out_everywhere": ("Sign out everywhere", "すべての端末からログアウト"),
        "language": ("Language", "言語"),
        "switch_language": ("日本語", "English"),
        "inbox_title": ("Requests waiting for you", "対応待ちの依頼"),
        "inbox_empty": ("Nothing waits for you.", "対応待ちの依頼はありません。"),
        "team_requests_title": ("Your team's open requests", "チームの未完了の依頼"),
        "requests_all_title": ("Open requests", "未完了の依頼"),
        "no_requests": ("No open requests.", "未完了の依頼はありません。"),
        "audit_title": ("Recent audit events", "最近の監査イベント"),
        "users_title": ("Users", "ユーザー"),
        "orgs_title": ("Organisations", "組織"),
        "incident": ("Incident", "インシデント"),
        "priority": ("Priority", "優先度"),
        "state": ("State", "状態"),
        "due": ("Due", "期限"),
        "organisation": ("Organisation", "組織"),
        "waits_for": ("Waits for", "対応者"),
        "purpose": ("Purpose", "目的"),
        "window": ("Window", "対象期間"),
        "filed": ("Filed", "起票"),
        "filed_by": ("Filed by", "起票者"),
        "hints": ("What to look for", "検索のヒント"),
        "sources": ("Sources", "ログソース"),
        "preserve_before": ("Preserve before", "保全期限"),
        "history": ("History", "履歴"),
        "actions": ("Actions", "操作"),
        "note": ("Note", "メモ"),
        "reason": ("Reason", "理由"),
        "question": ("Question", "質問"),
        "answer_label": ("Answer", "回答"),
        "outcome": ("Outcome", "結果"),
        "comments": ("Comments", "コメント"),
        "no_comments": ("No comments yet.", "コメントはまだありません。"),
        "add_comment": ("Add comment", "コメントを追加"),
        "comment": ("Comment", "コメント"),
        "artifacts": ("Evidence", "証拠ファイル"),
        "no_artifacts": ("No evidence yet.", "証拠ファイルはまだありません。"),
        "custody": ("Chain of custody", "証拠保全の記録"),
        "custody_intact": ("The audit events of this request verify against the chain.", "この依頼の監査イベントはチェーンと一致しています。"),
        "custody_broken": ("The audit chain around this request is broken.", "この依頼の監査チェーンが壊れています。"),
        "warnings": ("Warnings", "警告"),
        "time": ("Time", "日時"),
        "actor": ("Actor", "実行者"),
        "action": ("Action", "操作"),
        "object": ("Object", "対象"),
        "role": ("Role", "ロール"),
        "name": ("Name", "名前"),
        "id": ("ID", "ID"),
        "overdue_by": ("Overdue by", "期限超過"),
        "due_in": ("Due in", "残り"),
        "hours_short": ("h", "時間"),
        "minutes_short": ("min", "分"),
        "days_short": ("d", "日"),
        "acknowledge_by": ("acknowledge", "受付"),
        "deliver_by": ("deliver", "提出"),
        "custodian_party": ("custodian", "ログ保有者"),
        "requester_party": ("requesting team", "依頼チーム"),
        "nobody": ("nobody (closed)", "なし(完了)"),
        "not_found_title": ("Not found", "見つかりません"),
        "not_found": ("There is no such page, or you may not see it.", "このページは存在しないか、閲覧権限がありません。"),
        "forbidden_title": ("Refused", "拒否されました"),
        "csrf_refused": ("The form was too old or did not come from this site. Go back, reload the page and try again.",
                         "フォームの有効期限が切れているか、このサイトからの送信ではありません。戻ってページを再読み込みしてから再度お試しください。"),
        "not_allowed": ("Your role does not allow this.", "このロールではこの操作はできません。"),
        "refused": ("That was not done:", "実行できませんでした:"),
        "unavailable_title": ("Try again shortly", "しばらくしてから再度お試しください"),
        "unavailable": ("The database cannot be reached right now. Nothing was changed.", "現在データベースに接続できません。変更は行われていません。"),
        "error_title": ("Something went wrong", "エラーが発生しました"),
        "error": ("The page could not be shown. The error was logged with this reference:", "ページを表示できませんでした。次の参照番号でエラーを記録しました:"),
        "back_home": ("Back to the home page", "ホームへ戻る"),
        "times_utc": ("Times are shown in UTC unless your browser runs JavaScript.", "JavaScript が無効な場合、日時は UTC で表示されます。"),
        "upload": ("Upload", "アップロード"),
        "upload_file": ("Evidence file", "証拠ファイル"),
        "upload_stored": ("Stored. SHA-256:", "保存しました。SHA-256:"),
        "upload_failed": ("The upload failed:", "アップロードに失敗しました:"),
        "upload_hint": ("Large files are streamed; the SHA-256 is computed as they arrive.", "大きなファイルも逐次送信され、受信しながら SHA-256 を計算します。"),
        "upload_needs_script_title": ("Uploading needs JavaScript", "アップロードには JavaScript が必要です"),
        "upload_needs_script": ("This page uploads files with JavaScript. Without it, upload with `logatlas request upload` or the API.",
                                "このページのアップロードは JavaScript を使います。使えない場合は `logatlas request upload` か API でアップロードしてください。"),
        "upload_too_large": ("The file is larger than this server accepts.", "ファイルがサーバーの上限を超えています。"),
        "download": ("Download", "ダウンロード"),
        "reload": ("Show the updated page", "更新されたページを表示"),
        // Item states.
        "state_requested": ("requested", "依頼済み"),
        "state_acknowledged": ("acknowledged", "受付済み"),
        "state_approved": ("approved", "承認済み"),
        "state_rejected": ("rejected", "却下"),
        "state_in_progress": ("in progress", "作業中"),
        "state_delivered": ("delivered", "提出済み"),
        "state_received": ("received", "受領済み"),
        "state_needs_info": ("needs information", "情報待ち"),
        "state_cancelled": ("cancelled", "取消"),
        "state_expired": ("expired", "期限切れ"),
        // Actions.
        "action_acknowledge": ("Acknowledge", "受け付ける"),
        "action_approve": ("Approve", "承認する"),
        "action_reject": ("Reject", "却下する"),
        "action_start": ("Start work", "作業を開始する"),
        "action_deliver": ("Deliver", "提出する"),
        "action_receive": ("Receive", "受領する"),
        "action_ask_info": ("Ask for information", "情報を求める"),
        "action_answer": ("Answer", "回答する"),
        "action_cancel": ("Cancel", "取り消す"),
        "action_expire": ("Expire", "期限切れにする"),
        // Availability of a stretch of the window.
        "availability_searchable": ("searchable", "検索可能"),
        "availability_slow": ("only on slower media", "低速媒体のみ"),
        "availability_expired": ("expired", "保存期間切れ"),
        "lead_time": ("lead time", "取得所要"),
        // Priorities.
        "priority_informational": ("informational", "情報"),
        "priority_medium": ("medium", "中"),
        "priority_serious": ("serious", "重大"),
        "priority_critical": ("critical", "緊急"),
        // Refusals.
        "refusal_not_permitted": ("you do not act for a side that may do this.", "この操作を行う権限がありません。"),
        "refusal_wrong_state": ("the item is no longer in a state that allows it; the page shows its state now.",
                                "現在の状態ではこの操作はできません。最新の状態を表示しています。"),
        "refusal_note_required": ("this action needs a text.", "この操作には入力が必要です。"),
        "refusal_no_evidence": ("upload evidence or record a hand-over first.", "先に証拠ファイルをアップロードするか、受け渡し記録を登録してください。"),
        "refusal_conflict": ("someone changed the item meanwhile; the page shows its state now.", "他の利用者が先に変更しました。最新の状態を表示しています。"),
        "refusal_invalid": ("the text is not accepted:", "入力内容を受け付けられません:"),
    ]

    /// The strings of one language, for templates (`{{t.key}}`).
    static func strings(_ language: ConsoleLanguage) -> [String: String] {
        table.mapValues { language == .en ? $0.en : $0.ja }
    }
}
