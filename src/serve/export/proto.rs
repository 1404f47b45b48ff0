//! A minimal protocol-buffers writer for the ONNX messages Cairn emits. Field numbers follow
//! `onnx.proto3` (ONNX 1.x); only what [`super::onnx`] needs is here.

/// One message being written: fields are appended in order.
#[derive(Default, Clone, Debug)]
pub struct Msg(Vec<u8>);

const VARINT: u32 = 0;
const LEN: u32 = 2;

impl Msg {
    pub fn new() -> Msg {
        Msg::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    fn raw_varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u32) {
        self.raw_varint(u64::from(field << 3 | wire));
    }

    /// An `int32`/`int64`/enum field (negative numbers as ten-byte two's complement).
    pub fn int(mut self, field: u32, v: i64) -> Msg {
        self.key(field, VARINT);
        self.raw_varint(v as u64);
        self
    }

    pub fn bytes(mut self, field: u32, b: &[u8]) -> Msg {
        self.key(field, LEN);
        self.raw_varint(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }

    pub fn str(self, field: u32, s: &str) -> Msg {
        self.bytes(field, s.as_bytes())
    }

    pub fn msg(self, field: u32, m: Msg) -> Msg {
        self.bytes(field, &m.0)
    }

    /// A packed repeated `int64` field.
    pub fn packed_ints(self, field: u32, values: &[i64]) -> Msg {
        let mut body = Msg::new();
        values.iter().for_each(|&v| body.raw_varint(v as u64));
        self.bytes(field, &body.0)
    }

    /// A packed repeated `float` field.
    pub fn packed_floats(self, field: u32, values: &[f32]) -> Msg {
        let body: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.bytes(field, &body)
    }

    /// A packed repeated `double` field.
    pub fn packed_doubles(self, field: u32, values: &[f64]) -> Msg {
        let body: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.bytes(field, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_protobuf_reference() {
        // Examples from the protobuf encoding guide: field 1 = 150 → 08 96 01.
        assert_eq!(Msg::new().int(1, 150).into_bytes(), [0x08, 0x96, 0x01]);
        // field 2 = "testing" → 12 07 74 65 73 74 69 6e 67.
        assert_eq!(Msg::new().str(2, "testing").into_bytes(), b"\x12\x07testing");
        // Packed field 4 = [3, 270, 86942] → 22 06 03 8E 02 9E A7 05.
        assert_eq!(
            Msg::new().packed_ints(4, &[3, 270, 86942]).into_bytes(),
            [0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]
        );
        // -1 is ten bytes of two's complement.
        assert_eq!(Msg::new().int(1, -1).into_bytes().len(), 11);
    }
}
