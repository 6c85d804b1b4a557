//! [`KpiStore`] on PostgreSQL: the shared SQL of `core/src/store/kpi.rs` as it is.

use async_trait::async_trait;
use sqlx::Row;

use super::PgStore;
use switchyard_core::store::kpi_sql::*;
use switchyard_core::store::{
    Activity, Cancellations, KpiFigures, KpiStore, OnTime, PartnerRates, PushLag, Result, ShipTime,
    TrackingTime,
};

fn sql(text: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text.to_string())
}

impl PgStore {
    /// (key, n, p50, p90) rows of a percentile query over `[from, to)`.
    async fn spreads(
        &self,
        text: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(String, String, i64, Option<i64>, Option<i64>)>> {
        let rows = sqlx::query(sql(text))
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get("n")?,
                    r.try_get("p50")?,
                    r.try_get("p90")?,
                ))
            })
            .collect()
    }
}

#[async_trait]
impl KpiStore for PgStore {
    async fn kpis(&self, from: i64, to: i64) -> Result<KpiFigures> {
        let ship_times = self
            .spreads(&ship_times_sql(), from, to)
            .await?
            .into_iter()
            .map(|(location_id, channel_id, n, p50, p90)| ShipTime {
                location_id,
                channel_id,
                spread: spread(n, p50, p90),
            })
            .collect();
        let on_time: Vec<(String, i64, Option<i64>)> = sqlx::query_as(sql(ON_TIME_SQL))
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        let partners: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(sql(PARTNERS_SQL))
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        let cancellations: Vec<(String, i64, i64)> = sqlx::query_as(sql(CANCELLATIONS_SQL))
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        let tracking = self
            .spreads(&tracking_sql(), from, to)
            .await?
            .into_iter()
            .map(|(channel_id, _, n, p50, p90)| TrackingTime {
                channel_id,
                spread: spread(n, p50, p90),
                waiting: 0,
            })
            .collect();
        let waiting: Vec<(String, i64)> = sqlx::query_as(TRACKING_WAITING_SQL)
            .fetch_all(&self.pool)
            .await?;
        let push_lag = self
            .spreads(&push_lag_sql(), from, to)
            .await?
            .into_iter()
            .map(|(channel_id, _, n, p50, p90)| PushLag {
                channel_id,
                spread: spread(n, p50, p90),
            })
            .collect();
        Ok(KpiFigures {
            ship_times,
            on_time: on_time
                .into_iter()
                .map(|(channel_id, shipped, on_time)| OnTime {
                    channel_id,
                    shipped,
                    on_time: on_time.unwrap_or(0),
                })
                .collect(),
            partners: partners
                .into_iter()
                .map(
                    |(location_id, submitted, accepted, rejected, shipped, cancelled)| {
                        PartnerRates {
                            location_id,
                            submitted,
                            accepted,
                            rejected,
                            shipped,
                            cancelled,
                        }
                    },
                )
                .collect(),
            cancellations: cancellations
                .into_iter()
                .map(|(channel_id, orders, cancelled)| Cancellations {
                    channel_id,
                    orders,
                    cancelled,
                })
                .collect(),
            tracking: merge_waiting(tracking, waiting),
            push_lag,
        })
    }

    async fn activity(&self) -> Result<Activity> {
        let polls = sqlx::query_as(LAST_POLL_SQL).fetch_all(&self.pool).await?;
        let pushes = sqlx::query_as(LAST_PUSH_SQL).fetch_all(&self.pool).await?;
        let write_backs = sqlx::query_as(LAST_WRITE_BACK_SQL)
            .fetch_all(&self.pool)
            .await?;
        let waiting = sqlx::query_as(TRACKING_WAITING_SQL)
            .fetch_all(&self.pool)
            .await?;
        let events = sqlx::query_as(PARTNER_EVENTS_SQL)
            .fetch_all(&self.pool)
            .await?;
        let open = sqlx::query_as(OPEN_SUBMISSIONS_SQL)
            .fetch_all(&self.pool)
            .await?;
        Ok(activity_from(
            polls,
            pushes,
            write_backs,
            waiting,
            events,
            open,
        ))
    }
}
