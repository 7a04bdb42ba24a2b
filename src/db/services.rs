//! Services: list, read, create on first mention, and replace (PUT).

use diesel::prelude::*;

use super::DbConn;
use super::convert::{now, parse_stored, to_db_time};
use super::error::DbError;
use super::schema::{incident_services, incidents, services};
use crate::domain::{Service, ServiceKind, ServiceSlug};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = services)]
struct ServiceRow {
    slug: String,
    name: String,
    provider: Option<String>,
    region: Option<String>,
    kind: String,
    depends_on: String,
    status_page_url: Option<String>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

impl ServiceRow {
    fn into_domain(self) -> Result<Service, DbError> {
        let depends: Vec<String> =
            serde_json::from_str(&self.depends_on).map_err(|e| DbError::Corrupt {
                table: "services",
                message: format!("depends_on: {e}"),
            })?;
        Ok(Service {
            slug: ServiceSlug::parse("slug", &self.slug).map_err(|e| DbError::Corrupt {
                table: "services",
                message: e.to_string(),
            })?,
            name: self.name,
            provider: self.provider,
            region: self.region,
            kind: parse_stored("services", &self.kind)?,
            depends_on: depends
                .iter()
                .map(|s| ServiceSlug::parse("depends_on", s))
                .collect::<Result<_, _>>()
                .map_err(|e| DbError::Corrupt {
                    table: "services",
                    message: e.to_string(),
                })?,
            status_page_url: self.status_page_url,
        })
    }
}

pub fn list(conn: &mut DbConn) -> Result<Vec<Service>, DbError> {
    let rows: Vec<ServiceRow> = services::table
        .order(services::slug.asc())
        .select(ServiceRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ServiceRow::into_domain).collect()
}

pub fn get(conn: &mut DbConn, slug: &str) -> Result<Service, DbError> {
    let row: ServiceRow = services::table
        .find(slug)
        .select(ServiceRow::as_select())
        .get_result(conn)?;
    row.into_domain()
}

/// Creates the services a write names but nobody has described yet, as plain applications.
/// Two concurrent writes may name the same new service; the second leaves the first's row alone.
pub fn ensure_exist(conn: &mut DbConn, slugs: &[ServiceSlug]) -> Result<(), DbError> {
    let t = to_db_time(now());
    for slug in slugs {
        let row = to_row(&Service::unnamed(slug.clone()), t);
        // The multi-backend connection has no ON CONFLICT; each backend has its own.
        let insert = diesel::insert_into(services::table)
            .values(&row)
            .on_conflict_do_nothing();
        match conn {
            DbConn::Sqlite(c) => insert.execute(c)?,
            DbConn::Postgres(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

fn insert(conn: &mut DbConn, service: &Service) -> Result<(), DbError> {
    let t = to_db_time(now());
    diesel::insert_into(services::table)
        .values(to_row(service, t))
        .execute(conn)?;
    Ok(())
}

fn to_row(service: &Service, t: chrono::NaiveDateTime) -> ServiceRow {
    let depends: Vec<&str> = service.depends_on.iter().map(ServiceSlug::as_str).collect();
    ServiceRow {
        slug: service.slug.to_string(),
        name: service.name.clone(),
        provider: service.provider.clone(),
        region: service.region.clone(),
        kind: service.kind.as_str().to_string(),
        depends_on: serde_json::Value::from(depends).to_string(),
        status_page_url: service.status_page_url.clone(),
        created_at: t,
        updated_at: t,
    }
}

/// Whether a PUT created the service or replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Replaced,
    Unchanged,
}

/// Creates or replaces a service. Dependencies that do not exist yet are created, so a catalog
/// can name them in any order. Announces every incident of the service to the index, since
/// provider and region are searchable there.
pub fn put(conn: &mut DbConn, service: &Service) -> Result<Put, DbError> {
    if service.depends_on.contains(&service.slug) {
        return Err(DbError::Invalid {
            field: "depends_on",
            message: "a service cannot depend on itself".into(),
        });
    }
    ensure_exist(conn, &service.depends_on)?;
    let existing = match get(conn, service.slug.as_str()) {
        Ok(s) => Some(s),
        Err(DbError::NotFound) => None,
        Err(e) => return Err(e),
    };
    match existing {
        None => {
            insert(conn, service)?;
            Ok(Put::Created)
        }
        Some(old) if &old == service => Ok(Put::Unchanged),
        Some(_) => {
            let row = to_row(service, to_db_time(now()));
            diesel::update(services::table.find(service.slug.as_str()))
                .set((
                    services::name.eq(row.name),
                    services::provider.eq(row.provider),
                    services::region.eq(row.region),
                    services::kind.eq(row.kind),
                    services::depends_on.eq(row.depends_on),
                    services::status_page_url.eq(row.status_page_url),
                    services::updated_at.eq(row.updated_at),
                ))
                .execute(conn)?;
            let affected: Vec<String> = incident_services::table
                .filter(incident_services::service_slug.eq(service.slug.as_str()))
                .select(incident_services::incident_id)
                .distinct()
                .load(conn)?;
            for id in affected {
                super::outbox::append(
                    conn,
                    super::outbox::Entity::Incident,
                    &id,
                    super::outbox::Operation::Upsert,
                )?;
            }
            Ok(Put::Replaced)
        }
    }
}

/// Incidents of one service, newest first: the service page's history.
pub fn incident_ids(conn: &mut DbConn, slug: &str, limit: i64) -> Result<Vec<String>, DbError> {
    Ok(incident_services::table
        .inner_join(incidents::table)
        .filter(incident_services::service_slug.eq(slug))
        .select(incidents::id)
        .distinct()
        .order(incidents::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// Whether any service may take part in a cascade link: an infrastructure one, or one that
/// declares a dependency (stored as a JSON array, `[]` when it has none). One `EXISTS` instead
/// of reading the whole catalog, which every ingest asked for to learn that a store without
/// cascades has nothing to link. It may say yes for nothing (a `depends_on` spelled other than
/// `[]` yet empty), never no for something: callers check the catalog itself after a yes.
pub fn any_linkable(conn: &mut DbConn) -> Result<bool, DbError> {
    use diesel::dsl::exists;
    let linkable = services::table.filter(
        services::kind
            .eq(ServiceKind::Infrastructure.as_str())
            .or(services::depends_on.ne("[]")),
    );
    Ok(diesel::select(exists(linkable)).get_result(conn)?)
}
