//! Cross-origin reads (CORS) on the public read routes only, so a status widget or a dashboard on
//! another site can read Aftermath as it reads Statuspage.
//!
//! Rules:
//! - Shared ([`shares`]): the `GET` (and `HEAD`) routes of the JSON API (`/api/…`: the Statuspage
//!   v2 reads, the v1 reads, `/api/openapi.json`) and the feeds ([`super::feeds::FEEDS`]) that anyone may call
//!   without credentials, as [`super::routes::ROUTES`] says (so the API's reads only while
//!   `AFTERMATH_PUBLIC_READ` is on, and never an admin read). They answer with
//!   `Access-Control-Allow-Origin: *` and answer the preflight (`OPTIONS`) for `GET` and `HEAD`.
//! - Never shared: pages, forms, sign-in and every cookie route, `/metrics` and `/healthz`, and
//!   every write. A preflight there gets no CORS header (the route table's 405), so a browser
//!   keeps another site's script out.
//! - `*` and never credentials: a cross-site script reads what anyone could fetch, nothing a
//!   session would show. `ETag` is exposed so a script can revalidate.
//! - The CORS protocol itself (preflight, `Vary: Origin`, the header lists) is actix-cors's; this
//!   module only chooses, per request, whether it applies.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_cors::{Cors, CorsMiddleware};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, header};
use actix_web::{Error, web};

use super::AppState;
use super::feeds::is_feed;
use super::routes::{ROUTES, Verb};

/// Whether reads of the route `pattern` are shared across origins, given whether reads are public.
pub fn shares(pattern: &str, public_read: bool) -> bool {
    let public_face = pattern.starts_with("/api/") || is_feed(pattern);
    public_face
        && ROUTES.iter().any(|r| {
            r.path == pattern && r.method == Verb::Get && r.need.scope(public_read).is_none()
        })
}

/// actix-cors as the shared routes need it.
fn cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods([Method::GET, Method::HEAD])
        .allow_any_header()
        .expose_headers([header::ETAG])
        .max_age(86_400)
}

/// The middleware factory: `App::wrap(PublicReads)`, outside the route guard so a preflight is
/// answered before the route table would refuse `OPTIONS`.
pub struct PublicReads;

pub struct PublicReadsMiddleware<S> {
    plain: Rc<S>,
    with_cors: CorsMiddleware<Rc<S>>,
}

type Answer = Result<ServiceResponse<BoxBody>, Error>;
type Pending = Pin<Box<dyn Future<Output = Answer>>>;

impl<S, B> Transform<S, ServiceRequest> for PublicReads
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = PublicReadsMiddleware<S>;
    type InitError = ();
    type Future = Pin<Box<dyn Future<Output = Result<Self::Transform, ()>>>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let plain = Rc::new(service);
        let with_cors = cors().new_transform(Rc::clone(&plain));
        Box::pin(async move {
            Ok(PublicReadsMiddleware {
                plain,
                with_cors: with_cors.await?,
            })
        })
    }
}

/// Whether this request is a read (or its preflight) of a shared route.
fn shared(req: &ServiceRequest) -> bool {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let public_read = req
        .app_data::<web::Data<AppState>>()
        .is_none_or(|s| s.config.public_read);
    req.resource_map()
        .match_pattern(req.match_info().as_str())
        .is_some_and(|pattern| shares(&pattern, public_read))
}

impl<S, B> Service<ServiceRequest> for PublicReadsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = Pending;

    forward_ready!(plain);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if shared(&req) {
            let answer = self.with_cors.call(req);
            Box::pin(async move { Ok(answer.await?.map_into_boxed_body()) })
        } else {
            let answer = self.plain.call(req);
            Box::pin(async move { Ok(answer.await?.map_into_boxed_body()) })
        }
    }
}
