//! Process metrics read from `/proc/self` at scrape time (Linux; elsewhere nothing is
//! recorded): memory, CPU time, open files, threads and start time, under the names the
//! Prometheus client libraries use.

use std::sync::OnceLock;

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on every Linux ABI).
const TICKS_PER_SECOND: f64 = 100.0;
const PAGE_SIZE: f64 = 4096.0;

/// Records the process gauges now.
pub fn record() {
    let Some(stat) = Stat::read() else { return };
    metrics::gauge!("process_resident_memory_bytes").set(stat.rss_pages * PAGE_SIZE);
    metrics::gauge!("process_virtual_memory_bytes").set(stat.vsize_bytes);
    metrics::gauge!("process_cpu_seconds_total").set((stat.utime + stat.stime) / TICKS_PER_SECOND);
    metrics::gauge!("process_threads").set(stat.threads);
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(fds.count() as f64);
    }
    if let Some(start) = start_time(stat.start_ticks) {
        metrics::gauge!("process_start_time_seconds").set(start);
    }
}

/// The fields of `/proc/self/stat` we export.
struct Stat {
    utime: f64,
    stime: f64,
    threads: f64,
    start_ticks: f64,
    vsize_bytes: f64,
    rss_pages: f64,
}

impl Stat {
    fn read() -> Option<Self> {
        let raw = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name may hold spaces and parentheses: fields start after the last ')'.
        let fields: Vec<&str> = raw.rsplit_once(')')?.1.split_whitespace().collect();
        // Numbered as in proc(5) from field 3 (state) on.
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        Some(Self {
            utime: field(14)?,
            stime: field(15)?,
            threads: field(20)?,
            start_ticks: field(22)?,
            vsize_bytes: field(23)?,
            rss_pages: field(24)?,
        })
    }
}

/// The process start time in seconds since the epoch: boot time plus the start offset.
fn start_time(start_ticks: f64) -> Option<f64> {
    static BOOT: OnceLock<Option<f64>> = OnceLock::new();
    let boot = (*BOOT.get_or_init(|| {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        stat.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse::<f64>().ok())
    }))?;
    Some(boot + start_ticks / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_process_reads_itself() {
        let stat = super::Stat::read().expect("/proc/self/stat parses");
        assert!(stat.threads >= 1.0 && stat.rss_pages > 0.0 && stat.vsize_bytes > 0.0);
        let start = super::start_time(stat.start_ticks).expect("boot time");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
        assert!(start <= now + 1.0 && start > now - 86_400.0 * 365.0, "{start} vs {now}");
    }
}
