//! Mail over SMTP with lettre: `AFTERMATH_SMTP_URL` (`smtp://host:port`, `smtps://user:pass@host`)
//! and `AFTERMATH_SMTP_FROM`.
//!
//! Rules:
//! - Every mail has a text and an HTML part, its own `Message-ID` (the delivery id), and when
//!   it is about an incident, `In-Reply-To` and `References` naming that incident's thread, so
//!   every mail about one incident lands in one thread.
//! - Every mail carries `List-Unsubscribe` with its one-click link and
//!   `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
//! - Headers go through lettre, which encodes what is not plain ASCII; the subject was made one
//!   line when rendered (`render::email::one_line`).

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::NotifyError;
use super::render::email::Mail;
use crate::db::deliveries::Claimed;
use crate::db::subscriptions::Subscription;

/// The SMTP relay and the sender address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of thread and message ids: the sender's.
    domain: String,
}

impl Mailer {
    pub fn new(url: &str, from: &str) -> Result<Self, NotifyError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| NotifyError::Smtp(format!("AFTERMATH_SMTP_URL: {e}")))?
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| NotifyError::Smtp(format!("AFTERMATH_SMTP_FROM: {e}")))?;
        let domain = from.email.domain().to_string();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// The message for a delivery, as it goes out.
    pub fn message(&self, delivery: &Claimed, sub: &Subscription) -> Result<Message, String> {
        let mail = Mail::from_json(&delivery.body).map_err(|e| format!("bad mail body: {e}"))?;
        let to: Mailbox = sub
            .target
            .parse()
            .map_err(|_| "the target is not a mail address".to_string())?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}@{}>", delivery.id, self.domain)))
            .header(ListUnsubscribe(format!("<{}>", mail.unsubscribe)))
            .header(ListUnsubscribePost);
        if let Some(incident) = &mail.thread {
            let thread = format!("<incident-{incident}@{}>", self.domain);
            builder = builder.in_reply_to(thread.clone()).references(thread);
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(mail.text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(mail.html),
                    ),
            )
            .map_err(|e| format!("cannot build the mail: {e}"))
    }

    pub async fn send(&self, delivery: &Claimed, sub: &Subscription) -> Result<(), String> {
        let message = self.message(delivery, sub)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// `List-Unsubscribe: <https://…>`.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}
