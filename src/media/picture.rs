//! Getting a picture ready for the encoder: resize the short side, centre crop, normalise; and
//! the augmentations offered for small sets (a mirror image, a tighter crop, small rotations),
//! each seeded so a training run can be repeated.

use image::{DynamicImage, RgbImage, imageops::FilterType};

/// The variants of one training picture: the original first, then the augmentations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Original,
    Mirror,
    /// The central 80 % of the picture, so the subject fills more of it.
    Crop,
    /// Rotated by a few degrees (the sign alternates with the seed).
    Rotate(i8),
}

impl Variant {
    /// `count` variants: the original, then mirror, crop, rotations of ±8° and so on.
    pub fn first(count: usize) -> Vec<Variant> {
        let mut all = vec![Variant::Original, Variant::Mirror, Variant::Crop, Variant::Rotate(8), Variant::Rotate(-8)];
        let mut degrees = 4i8;
        while all.len() < count {
            all.push(Variant::Rotate(degrees));
            all.push(Variant::Rotate(-degrees));
            degrees = if degrees >= 14 { 3 } else { degrees + 3 };
        }
        all.truncate(count.max(1));
        all
    }

    /// A short name for cache keys and messages.
    pub fn key(self) -> String {
        match self {
            Variant::Original => "o".into(),
            Variant::Mirror => "m".into(),
            Variant::Crop => "c".into(),
            Variant::Rotate(d) => format!("r{d}"),
        }
    }

    pub fn apply(self, img: &DynamicImage) -> DynamicImage {
        match self {
            Variant::Original => img.clone(),
            Variant::Mirror => img.fliph(),
            Variant::Crop => {
                let (w, h) = (img.width(), img.height());
                let (cw, ch) = ((w * 4 / 5).max(1), (h * 4 / 5).max(1));
                img.crop_imm((w - cw) / 2, (h - ch) / 2, cw, ch)
            }
            Variant::Rotate(d) => DynamicImage::ImageRgb8(rotate(&img.to_rgb8(), f32::from(d).to_radians())),
        }
    }
}

/// Rotates about the centre with bilinear sampling; corners outside take the nearest edge pixel
/// (no black wedges for the encoder to learn from).
fn rotate(img: &RgbImage, angle: f32) -> RgbImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (cx, cy) = ((w - 1.0) / 2.0, (h - 1.0) / 2.0);
    let (sin, cos) = angle.sin_cos();
    let at = |x: f32, y: f32, c: usize| -> f32 {
        let xi = (x.clamp(0.0, w - 1.0)) as u32;
        let yi = (y.clamp(0.0, h - 1.0)) as u32;
        f32::from(img.get_pixel(xi, yi).0[c])
    };
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let sx = cos * dx + sin * dy + cx;
        let sy = -sin * dx + cos * dy + cy;
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let mut px = [0u8; 3];
        for (c, p) in px.iter_mut().enumerate() {
            let top = at(x0, y0, c) * (1.0 - fx) + at(x0 + 1.0, y0, c) * fx;
            let bottom = at(x0, y0 + 1.0, c) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0, c) * fx;
            *p = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
        }
        image::Rgb(px)
    })
}

/// The short side resized to `size` (a triangle filter, like Pillow's bilinear), the centre
/// `size`×`size` cut out; RGB, channels last, `(value - mean) / std`.
pub fn encoder_input(img: &DynamicImage, size: usize, mean: f32, std: f32) -> Vec<f32> {
    let rgb = square(img, size as u32);
    rgb.as_raw().iter().map(|&v| (f32::from(v) - mean) / std).collect()
}

/// The short side resized to `size` and the centre square cut out (as 8-bit RGB).
pub fn square(img: &DynamicImage, size: u32) -> RgbImage {
    let (w, h) = (img.width().max(1), img.height().max(1));
    if w == size && h == size {
        img.to_rgb8()
    } else {
        let scale = f64::from(size) / f64::from(w.min(h));
        let nw = ((f64::from(w) * scale).round() as u32).max(size);
        let nh = ((f64::from(h) * scale).round() as u32).max(size);
        let resized = img.resize_exact(nw, nh, FilterType::Triangle);
        resized.crop_imm((nw - size) / 2, (nh - size) / 2, size, size).to_rgb8()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_is_the_centre_square_normalised() {
        // 300×200: left third black, the rest white; after the crop the black strip shrinks
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(300, 200, |x, _| {
            if x < 100 { image::Rgb([0, 0, 0]) } else { image::Rgb([255, 255, 255]) }
        }));
        let x = encoder_input(&img, 224, 127.0, 128.0);
        assert_eq!(x.len(), 224 * 224 * 3);
        assert!((x[0] - (-127.0 / 128.0)).abs() < 1e-6, "top-left is black");
        assert!((x[x.len() - 1] - 1.0).abs() < 1e-6, "bottom-right is white");
    }

    #[test]
    fn variants_are_distinct_and_keep_the_size() {
        let img =
            DynamicImage::ImageRgb8(RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 0])));
        let vs = Variant::first(7);
        assert_eq!(vs.len(), 7);
        let keys: std::collections::HashSet<String> = vs.iter().map(|v| v.key()).collect();
        assert_eq!(keys.len(), 7);
        let rotated = Variant::Rotate(8).apply(&img);
        assert_eq!((rotated.width(), rotated.height()), (40, 30));
        assert_ne!(rotated.to_rgb8(), img.to_rgb8());
        assert_eq!(Variant::Mirror.apply(&img).to_rgb8().get_pixel(0, 0).0[0], img.to_rgb8().get_pixel(39, 0).0[0]);
    }
}
