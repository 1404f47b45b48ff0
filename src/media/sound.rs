//! Sound clips as features: a WAV file (any sample rate, mono or stereo, integer or float
//! samples) is mixed to mono and resampled to 16 kHz, cut into 25 ms frames every 10 ms, and
//! each frame's spectrum (realfft) is summed into 40 mel bands on a log scale. Frames quieter
//! than 45 dB under the loudest are left out (the silence around a word), and each band's mean
//! and spread over the remaining frames, with the mean change from frame to frame, make 120
//! numbers per clip that any model can learn from.

use super::MediaError;
use realfft::RealFftPlanner;

pub const SAMPLE_RATE: u32 = 16_000;
pub const MELS: usize = 40;
/// The sample rates and the length a clip may have.
const MIN_RATE: u32 = 4_000;
const MAX_RATE: u32 = 384_000;
const MAX_SECONDS: f64 = 60.0;
const FRAME: usize = 400; // 25 ms
const HOP: usize = 160; // 10 ms
const FFT: usize = 512;

/// The names of the features [`clip_features`] returns, in order.
pub fn feature_names() -> Vec<String> {
    let mut names: Vec<String> = (0..MELS).map(|b| format!("mel_mean_{b}")).collect();
    names.extend((0..MELS).map(|b| format!("mel_std_{b}")));
    names.extend((0..MELS).map(|b| format!("mel_delta_{b}")));
    names
}

/// Mono samples at [`SAMPLE_RATE`] from the bytes of a WAV file.
pub fn read_wav(name: &str, bytes: &[u8]) -> Result<Vec<f32>, MediaError> {
    let bad = |m: String| MediaError::Decode { path: name.to_string(), message: m };
    let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let spec = reader.spec();
    // A header can claim any rate or length: refuse what no recording is before resampling
    // (a 1 Hz "rate" would ask for 16 000 samples per sample).
    if !(MIN_RATE..=MAX_RATE).contains(&spec.sample_rate) {
        return Err(bad(format!("a sample rate of {} Hz; clips are {MIN_RATE}–{MAX_RATE} Hz", spec.sample_rate)));
    }
    let seconds = f64::from(reader.duration()) / f64::from(spec.sample_rate);
    if seconds > MAX_SECONDS {
        return Err(bad(format!("{seconds:.0} s long; clips are at most {MAX_SECONDS:.0} s")));
    }
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => {
            reader.samples::<f32>().collect::<Result<_, _>>().map_err(|e| bad(e.to_string()))?
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?
        }
    };
    let mono: Vec<f32> = samples.chunks(channels).map(|c| c.iter().sum::<f32>() / c.len() as f32).collect();
    if mono.is_empty() {
        return Err(bad("the clip holds no samples".into()));
    }
    Ok(resample(&mono, spec.sample_rate, SAMPLE_RATE))
}

/// Linear-interpolation resampling after a moving-average low-pass when shrinking (enough for
/// speech features; the mel bands stop at 8 kHz).
fn resample(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to {
        return x.to_vec();
    }
    let ratio = f64::from(from) / f64::from(to);
    let smoothed: Vec<f32> = if ratio > 1.0 {
        let width = ratio.ceil() as usize;
        let mut sum = 0.0f32;
        let mut out = Vec::with_capacity(x.len());
        for i in 0..x.len() {
            sum += x[i];
            if i >= width {
                sum -= x[i - width];
            }
            out.push(sum / (i + 1).min(width) as f32);
        }
        out
    } else {
        x.to_vec()
    };
    let n = ((x.len() as f64) / ratio).floor().max(1.0) as usize;
    (0..n)
        .map(|i| {
            let pos = i as f64 * ratio;
            let j = pos.floor() as usize;
            let f = (pos - j as f64) as f32;
            let a = smoothed[j.min(smoothed.len() - 1)];
            let b = smoothed[(j + 1).min(smoothed.len() - 1)];
            a + (b - a) * f
        })
        .collect()
}

fn hz_to_mel(f: f64) -> f64 {
    2595.0 * (1.0 + f / 700.0).log10()
}

fn mel_to_hz(m: f64) -> f64 {
    700.0 * (10f64.powf(m / 2595.0) - 1.0)
}

/// Triangular mel filters over the FFT's bins (HTK style, 20 Hz to 8 kHz).
fn mel_filters() -> Vec<Vec<(usize, f32)>> {
    let bins = FFT / 2 + 1;
    let (lo, hi) = (hz_to_mel(20.0), hz_to_mel(f64::from(SAMPLE_RATE) / 2.0));
    let points: Vec<f64> = (0..MELS + 2).map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (MELS + 1) as f64)).collect();
    let bin_hz = f64::from(SAMPLE_RATE) / FFT as f64;
    (0..MELS)
        .map(|m| {
            let (left, centre, right) = (points[m], points[m + 1], points[m + 2]);
            (0..bins)
                .filter_map(|b| {
                    let f = b as f64 * bin_hz;
                    let w = if f >= left && f <= centre {
                        (f - left) / (centre - left)
                    } else if f > centre && f <= right {
                        (right - f) / (right - centre)
                    } else {
                        0.0
                    };
                    (w > 0.0).then_some((b, w as f32))
                })
                .collect()
        })
        .collect()
}

/// Log-mel energies, one row of [`MELS`] per 10 ms frame.
pub fn log_mel(samples: &[f32]) -> Vec<[f32; MELS]> {
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(FFT);
    let filters = mel_filters();
    let window: Vec<f32> =
        (0..FRAME).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / (FRAME - 1) as f32).cos()).collect();
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut frames = Vec::new();
    let mut start = 0;
    while start + FRAME <= samples.len().max(FRAME) {
        input.iter_mut().for_each(|v| *v = 0.0);
        for (i, w) in window.iter().enumerate() {
            input[i] = samples.get(start + i).copied().unwrap_or(0.0) * w;
        }
        if fft.process(&mut input, &mut spectrum).is_err() {
            break;
        }
        let power: Vec<f32> = spectrum.iter().map(|c| c.norm_sqr()).collect();
        let mut row = [0.0f32; MELS];
        for (m, filter) in filters.iter().enumerate() {
            let e: f32 = filter.iter().map(|&(b, w)| power[b] * w).sum();
            row[m] = (e + 1e-10).ln();
        }
        frames.push(row);
        start += HOP;
    }
    frames
}

/// The 120 features of a clip (see the module's description).
pub fn clip_features(samples: &[f32]) -> Vec<f32> {
    let frames = log_mel(samples);
    // Keep frames within 45 dB (ln: 10.4) of the loudest.
    let energy: Vec<f32> = frames.iter().map(|r| r.iter().map(|v| v.exp()).sum::<f32>().ln()).collect();
    let loudest = energy.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let kept: Vec<&[f32; MELS]> =
        frames.iter().zip(&energy).filter(|(_, e)| **e >= loudest - 10.4).map(|(r, _)| r).collect();
    let n = kept.len().max(1) as f32;
    let mut mean = [0.0f32; MELS];
    for r in &kept {
        mean.iter_mut().zip(r.iter()).for_each(|(m, v)| *m += v / n);
    }
    let mut spread = [0.0f32; MELS];
    for r in &kept {
        spread.iter_mut().zip(r.iter().zip(&mean)).for_each(|(s, (v, m))| *s += (v - m).powi(2) / n);
    }
    let mut delta = [0.0f32; MELS];
    for pair in kept.windows(2) {
        delta.iter_mut().zip(pair[1].iter().zip(pair[0].iter())).for_each(|(d, (b, a))| *d += (b - a).abs() / n);
    }
    mean.iter().copied().chain(spread.iter().map(|v| v.sqrt())).chain(delta.iter().copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, rate: u32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn a_tone_lights_the_mel_band_of_its_pitch() {
        let low = clip_features(&tone(300.0, SAMPLE_RATE, 0.5));
        let high = clip_features(&tone(3000.0, SAMPLE_RATE, 0.5));
        let top = |f: &[f32]| (0..MELS).max_by(|&a, &b| f[a].total_cmp(&f[b])).unwrap_or(0);
        assert!(top(&low) < top(&high), "300 Hz peaks in band {}, 3 kHz in band {}", top(&low), top(&high));
        assert_eq!(low.len(), feature_names().len());
    }

    fn wav(rate: u32, samples: usize) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
        (0..samples).for_each(|i| w.write_sample((i % 100) as i16).unwrap());
        w.finalize().unwrap();
        out.into_inner()
    }

    #[test]
    fn a_header_claiming_a_strange_rate_or_length_is_refused_before_resampling() {
        // 1 Hz would ask for 16 000 samples per sample (gigabytes from a 1 MB upload).
        let e = read_wav("odd.wav", &wav(1, 1000)).unwrap_err().to_string();
        assert!(e.contains("odd.wav") && e.contains("1 Hz"), "{e}");
        let e = read_wav("long.wav", &wav(4000, 4000 * 61)).unwrap_err().to_string();
        assert!(e.contains("61 s"), "{e}");
        assert_eq!(read_wav("ok.wav", &wav(8000, 8000)).unwrap().len(), 16_000);
    }

    #[test]
    fn resampling_keeps_the_pitch() {
        // 1 kHz at 44.1 kHz resampled to 16 kHz peaks in the same band as 1 kHz made at 16 kHz
        let resampled = resample(&tone(1000.0, 44_100, 0.5), 44_100, SAMPLE_RATE);
        assert!((resampled.len() as i64 - 8000).abs() <= 1);
        let a = clip_features(&resampled);
        let b = clip_features(&tone(1000.0, SAMPLE_RATE, 0.5));
        let top = |f: &[f32]| (0..MELS).max_by(|&x, &y| f[x].total_cmp(&f[y])).unwrap_or(0);
        assert_eq!(top(&a), top(&b));
    }
}
