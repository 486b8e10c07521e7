//! The Web API methods and the `response_url` sink, answering as Slack does.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{BOT, FakeSlack, Fault, lock};

/// Slack methods take form, query or JSON parameters; normalise them to one JSON object.
fn parameters(headers: &HeaderMap, query: Option<String>, body: &Bytes) -> Value {
    let mut out = serde_json::Map::new();
    let form = |text: &str, out: &mut serde_json::Map<String, Value>| {
        for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(text).unwrap_or_default()
        {
            out.insert(k, Value::String(v));
        }
    };
    if let Some(query) = query {
        form(&query, &mut out);
    }
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            out.extend(map);
        }
    } else {
        form(&String::from_utf8_lossy(body), &mut out);
    }
    Value::Object(out)
}

/// Every call is recorded, authorised or not; only the bot token is answered.
pub(super) async fn handle_api(
    State(fake): State<FakeSlack>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = parameters(&headers, query, &body);
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == fake.inner.bot_token);
    fake.record(&method, params.clone());
    let late = match faulted(&fake, &method).await {
        Err(refusal) => return refusal,
        Ok(late) => late,
    };
    if !authorized {
        return Json(json!({ "ok": false, "error": "not_authed" })).into_response();
    }
    let answer = answer(&fake, &method, &params);
    if let Some(pause) = late {
        tokio::time::sleep(pause).await;
    }
    Json(answer).into_response()
}

/// Plays the stall and the fault the call of `method` meets: a refusal to answer with, or the
/// pause to hold the answer back by once the call is served.
async fn faulted(fake: &FakeSlack, method: &str) -> Result<Option<std::time::Duration>, Response> {
    let (fault, stall) = fake.take_fault(method);
    if let Some(hold) = stall {
        tokio::time::sleep(hold).await;
    }
    match fault {
        Some(Fault::Throttle { retry_after_secs }) => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({ "ok": false, "error": "ratelimited" })),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Err(response)
        }
        Some(Fault::ServerError) => {
            Err((StatusCode::INTERNAL_SERVER_ERROR, "internal_error").into_response())
        }
        Some(Fault::Delay(pause)) => {
            tokio::time::sleep(pause).await;
            Ok(None)
        }
        Some(Fault::LateAnswer(pause)) => Ok(Some(pause)),
        None => Ok(None),
    }
}

fn answer(fake: &FakeSlack, method: &str, params: &Value) -> Value {
    let text = |key: &str| params[key].as_str().unwrap_or_default().to_owned();
    match method {
        "auth.test" => json!({
            "ok": true, "team": "Contoso", "team_id": fake.team_id(),
            "user_id": "UPIMBOT", "bot_id": "BPIMBOT"
        }),
        "users.info" => match lock(&fake.inner.members).get(&text("user")) {
            Some(member) => json!({ "ok": true, "user": member.json(&text("user")) }),
            None => json!({ "ok": false, "error": "user_not_found" }),
        },
        "users.lookupByEmail" => {
            let wanted = text("email").to_lowercase();
            let members = lock(&fake.inner.members);
            // Slack keeps e-mail addresses unique in a workspace; stay deterministic regardless.
            let found = members
                .iter()
                .filter(|(_, member)| member.email.to_lowercase() == wanted)
                .min_by(|a, b| a.0.cmp(b.0));
            match found {
                Some((id, member)) => json!({ "ok": true, "user": member.json(id) }),
                None => json!({ "ok": false, "error": "users_not_found" }),
            }
        }
        "conversations.open" => {
            json!({ "ok": true, "channel": { "id": format!("D{}", text("users")) } })
        }
        "chat.postMessage" => {
            let ts = fake.workspace().post(&text("channel"), BOT, params, None);
            json!({ "ok": true, "channel": text("channel"), "ts": ts })
        }
        "chat.postEphemeral" => {
            let ts = fake
                .workspace()
                .post(&text("channel"), BOT, params, Some(&text("user")));
            json!({ "ok": true, "message_ts": ts })
        }
        "chat.update" => {
            if fake
                .workspace()
                .update(&text("channel"), &text("ts"), params)
            {
                json!({ "ok": true, "channel": text("channel"), "ts": text("ts") })
            } else {
                json!({ "ok": false, "error": "message_not_found" })
            }
        }
        "views.open" => {
            let id = fake
                .workspace()
                .open_modal(&text("trigger_id"), &params["view"]);
            json!({ "ok": true, "view": { "id": id } })
        }
        "views.update" => match fake.workspace().view_mut(&text("view_id")) {
            Some(view) => {
                view.view = params["view"].clone();
                json!({ "ok": true, "view": { "id": view.id } })
            }
            None => json!({ "ok": false, "error": "not_found" }),
        },
        _ => json!({ "ok": true }),
    }
}

/// A `response_url` answer: recorded, and shown where Slack would show it when the URL is one
/// [`FakeSlack::response_url_from`] gave out.
pub(super) async fn handle_response(
    State(fake): State<FakeSlack>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let content: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut recorded = content.clone();
    recorded["response_url_id"] = Value::String(id.clone());
    fake.record("response_url", recorded);
    let late = match faulted(&fake, "response_url").await {
        Err(refusal) => return refusal,
        Ok(late) => late,
    };
    show_response(&fake, &id, &content);
    if let Some(pause) = late {
        tokio::time::sleep(pause).await;
    }
    Json(json!({ "ok": true })).into_response()
}

/// Shows a `response_url` answer in the workspace, where the URL's origin says.
fn show_response(fake: &FakeSlack, id: &str, content: &Value) {
    let mut workspace = fake.workspace();
    let Some(origin) = workspace.response_urls.get(id).cloned() else {
        return;
    };
    let replaced = content["replace_original"] == true
        && origin
            .message_ts
            .as_deref()
            .is_some_and(|ts| workspace.update(&origin.channel, ts, content));
    if !replaced {
        let visible_to = (content["response_type"] != "in_channel").then_some(origin.user.as_str());
        workspace.post(&origin.channel, BOT, content, visible_to);
    }
}
