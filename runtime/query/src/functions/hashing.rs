//! Hash functions as ClickHouse computes them: `sipHash64` (SipHash-2-4 with zero keys) and
//! `cityHash64` (CityHash v1.0.2, the version ClickHouse fixed), over a value's bytes (a
//! string's bytes, a number's little-endian bytes at its width). `cityHash64` hashes numbers of
//! up to 8 bytes as ClickHouse does, with `intHash64` of their bits. With several arguments the
//! hashes of the arguments are combined left to right, each algorithm its own way.

use std::hash::Hasher;
use std::sync::Arc;

use arrow::array::{ArrayRef, UInt64Array};
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use siphasher::sip::SipHasher24;

use super::{ValueBytes, arguments_as_arrays, columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    [Algorithm::Sip, Algorithm::City]
        .into_iter()
        .map(|algorithm| {
            ScalarUDF::new_from_impl(Hash64 {
                algorithm,
                signature: Signature::variadic_any(Volatility::Immutable),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Algorithm {
    Sip,
    City,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Sip => "siphash64",
            Algorithm::City => "cityhash64",
        }
    }

    fn of_bytes(self, bytes: &[u8]) -> u64 {
        match self {
            Algorithm::Sip => {
                let mut hasher = SipHasher24::new_with_keys(0, 0);
                hasher.write(bytes);
                hasher.finish()
            }
            Algorithm::City => ch_cityhash102::cityhash64(bytes),
        }
    }

    /// The hash of one argument's value; `fixed_width` is true for numbers and dates.
    fn of_value(self, bytes: &[u8], fixed_width: bool) -> u64 {
        if self == Algorithm::City && fixed_width && bytes.len() <= 8 {
            let mut bits = [0u8; 8];
            bits[..bytes.len()].copy_from_slice(bytes);
            return int_hash64(u64::from_le_bytes(bits) ^ 0x4CF2_D2BA_AE6D_A887);
        }
        self.of_bytes(bytes)
    }

    fn combine(self, first: u64, second: u64) -> u64 {
        match self {
            Algorithm::Sip => {
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&first.to_le_bytes());
                bytes[8..].copy_from_slice(&second.to_le_bytes());
                self.of_bytes(&bytes)
            }
            Algorithm::City => hash128_to_64(first, second),
        }
    }
}

/// ClickHouse's `intHash64`: the 64-bit finaliser of MurmurHash3.
fn int_hash64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// CityHash's `Hash128to64` of the pair (low, high).
fn hash128_to_64(low: u64, high: u64) -> u64 {
    const MUL: u64 = 0x9ddf_ea08_eb38_2d69;
    let mut a = (low ^ high).wrapping_mul(MUL);
    a ^= a >> 47;
    let mut b = (high ^ a).wrapping_mul(MUL);
    b ^= b >> 47;
    b.wrapping_mul(MUL)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Hash64 {
    algorithm: Algorithm,
    signature: Signature,
}

impl ScalarUDFImpl for Hash64 {
    fn name(&self) -> &str {
        self.algorithm.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if let Some(unsupported) = args.iter().find(|t| !ValueBytes::supports(t)) {
            return plan_err!(
                "{} does not take a value of type {unsupported}",
                self.name()
            );
        }
        Ok(DataType::UInt64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (values, is_scalar) = arguments_as_arrays(&args.args)?;
        let columns = values
            .iter()
            .map(ValueBytes::new)
            .collect::<Result<Vec<_>>>()?;
        let hashes: UInt64Array = (0..values[0].len())
            .map(|row| {
                columns.iter().try_fold(None, |combined, column| {
                    let hash = self
                        .algorithm
                        .of_value(column.get(row)?, column.is_fixed_width());
                    Some(Some(match combined {
                        None => hash,
                        Some(previous) => self.algorithm.combine(previous, hash),
                    }))
                })?
            })
            .collect();
        columnar(Arc::new(hashes) as ArrayRef, is_scalar)
    }
}
