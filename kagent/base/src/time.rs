//! UTC calendar dates of Unix timestamps and Python's `datetime.isoformat()` of them (the
//! system prompt's date, `/export` file names), without a date-time dependency.

/// The UTC calendar date and time of a Unix timestamp: (year, month, day, hour, minute, second).
pub fn utc_civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // days since 1970-01-01 -> civil date (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, sod / 3600, sod % 3600 / 60, sod % 60)
}

/// Python's `datetime.isoformat()` of a UTC time: microseconds only when not zero.
pub fn iso_utc(secs: i64, micros: u32) -> String {
    let (year, month, day, h, m, sec) = utc_civil(secs);
    let time = format!("{h:02}:{m:02}:{sec:02}");
    let frac = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    format!("{year:04}-{month:02}-{day:02}T{time}{frac}+00:00")
}

/// Python's `datetime.now(timezone.utc).isoformat()`.
pub fn iso_now_utc() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    iso_utc(now.as_secs() as i64, now.subsec_micros())
}

/// Seconds since the Unix epoch, now (0 if the clock is before it).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_isoformat() {
        assert_eq!(iso_utc(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            iso_utc(1_709_251_199, 5),
            "2024-02-29T23:59:59.000005+00:00"
        );
    }
}
