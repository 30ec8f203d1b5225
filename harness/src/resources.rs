//! The live process's CPU time and resident memory, sampled once a second
//! during the measurement window by a thread of its own (it sleeps between
//! samples, so the runtime's threads never wait for it). The paper's server
//! CPU and memory figure (reference §17, F-CPU/mem) is drawn from these.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use impls::Micros;

use crate::recorder::Window;

/// Time between samples.
pub const SAMPLE_US: Micros = 1_000_000;

/// One reading: when (µs since the run began), the process's CPU time so
/// far (user + system, all threads) and its resident set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub at: Micros,
    pub cpu_us: Option<f64>,
    pub rss_bytes: Option<u64>,
}

/// The window's figures; `None` where this platform offers no reading.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// CPU time as a percentage of one core, over the window.
    pub cpu_pct: Option<f64>,
    /// Mean resident set, in MB (10^6 bytes).
    pub rss_mb: Option<f64>,
}

/// A running sampler; [`Sampler::finish`] stops it and sums up.
pub struct Sampler {
    stop: Sender<()>,
    thread: Option<JoinHandle<Vec<Sample>>>,
}

impl Sampler {
    /// Samples at the window's start, each second after, and its end;
    /// `origin` is the instant the run's clock counts from.
    pub fn start(origin: Instant, window: Window) -> Sampler {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("cmbench-resources".into())
            .spawn(move || {
                let mut samples = Vec::new();
                for at in sample_times(window) {
                    let due = origin + Duration::from_micros(at);
                    let wait = due.saturating_duration_since(Instant::now());
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => samples.push(read(at)),
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                samples
            })
            .ok();
        Sampler { stop, thread }
    }

    /// Stops sampling (a window cut short keeps the samples taken) and
    /// returns the window's figures.
    pub fn finish(mut self) -> Usage {
        let _ = self.stop.send(());
        let samples = self
            .thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        usage(&samples)
    }
}

/// The window's start, each second after it, and its end.
fn sample_times(window: Window) -> Vec<Micros> {
    let mut times: Vec<Micros> = (window.start..window.end)
        .step_by(SAMPLE_US as usize)
        .collect();
    times.push(window.end);
    times
}

/// CPU: the time used between the first and the last sample over the time
/// between them (the mean of the 1 s readings, each weighted by its length).
/// Memory: the mean of the samples.
pub fn usage(samples: &[Sample]) -> Usage {
    let cpu: Vec<(Micros, f64)> = samples
        .iter()
        .filter_map(|s| Some((s.at, s.cpu_us?)))
        .collect();
    let cpu_pct = match (cpu.first(), cpu.last()) {
        (Some(&(t0, c0)), Some(&(t1, c1))) if t1 > t0 => {
            Some((c1 - c0).max(0.0) / (t1 - t0) as f64 * 100.0)
        }
        _ => None,
    };
    let rss: Vec<u64> = samples.iter().filter_map(|s| s.rss_bytes).collect();
    let rss_mb = (!rss.is_empty()).then(|| rss.iter().sum::<u64>() as f64 / rss.len() as f64 / 1e6);
    Usage { cpu_pct, rss_mb }
}

fn read(at: Micros) -> Sample {
    Sample {
        at,
        cpu_us: process_cpu_us(),
        rss_bytes: resident_bytes(),
    }
}

/// CPU time (user and system) this process has used, in microseconds.
#[cfg(unix)]
pub fn process_cpu_us() -> Option<f64> {
    // SAFETY: an all-zero rusage is valid, and getrusage only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a pointer to a rusage we own.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    Some(us(usage.ru_utime) + us(usage.ru_stime))
}

#[cfg(not(unix))]
pub fn process_cpu_us() -> Option<f64> {
    None
}

/// The resident set from `/proc/self/statm` (its second field, in pages).
#[cfg(target_os = "linux")]
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

#[cfg(not(target_os = "linux"))]
fn resident_bytes() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(at: Micros, cpu_us: f64, rss_bytes: u64) -> Sample {
        Sample {
            at,
            cpu_us: Some(cpu_us),
            rss_bytes: Some(rss_bytes),
        }
    }

    #[test]
    fn cpu_is_a_share_of_one_core_and_memory_a_mean() {
        let u = usage(&[
            s(1_000_000, 100.0, 10_000_000),
            s(2_000_000, 500_100.0, 20_000_000),
            s(2_500_000, 1_500_100.0, 30_000_000),
        ]);
        // 1.5 s of CPU in 1.5 s: one core's worth.
        assert!((u.cpu_pct.unwrap() - 100.0).abs() < 1e-9);
        assert!((u.rss_mb.unwrap() - 20.0).abs() < 1e-9);
    }

    #[test]
    fn too_few_readings_give_empty_figures() {
        assert_eq!(usage(&[]), Usage::default());
        let one = usage(&[s(0, 5.0, 1_000_000)]);
        assert_eq!((one.cpu_pct, one.rss_mb), (None, Some(1.0)));
    }

    #[test]
    fn samples_cover_the_window_each_second() {
        let w = Window {
            start: 500_000,
            end: 3_000_000,
        };
        assert_eq!(sample_times(w), [500_000, 1_500_000, 2_500_000, 3_000_000]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_busy_window_shows_cpu_and_memory() {
        let origin = Instant::now();
        let sampler = Sampler::start(
            origin,
            Window {
                start: 0,
                end: 300_000,
            },
        );
        let mut x = 0u64;
        while origin.elapsed() < Duration::from_millis(350) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let u = sampler.finish();
        assert!(u.cpu_pct.unwrap() > 10.0, "{u:?}");
        assert!(u.rss_mb.unwrap() > 0.0, "{u:?}");
    }
}
