//! Built-in sample projects. The data ships inside the binary, so the samples open from any
//! working directory; attribution is in `assets/ATTRIBUTION.md`.

use crate::data::{DataError, Dataset, read_csv_bytes};

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub file_name: &'static str,
    /// The column a beginner would predict.
    pub target: &'static str,
    pub credit: &'static str,
    bytes: &'static [u8],
}

impl Sample {
    pub fn load(&self) -> Result<Dataset, DataError> {
        read_csv_bytes(self.file_name, self.bytes.to_vec())
    }

    pub fn by_id(id: &str) -> Option<&'static Sample> {
        SAMPLES.iter().find(|s| s.id == id)
    }
}

pub static SAMPLES: &[Sample] = &[
    Sample {
        id: "house-prices",
        title: "House prices",
        description: "Predict the median house value of California districts (1990 census): a regression.",
        file_name: "california_housing.csv",
        target: "median_house_value",
        credit: "California housing data, Pace & Barry (1997), as modified in A. Géron, Hands-On Machine Learning (Apache-2.0)",
        bytes: include_bytes!("../../assets/california_housing.csv"),
    },
    Sample {
        id: "spam",
        title: "Spam filter",
        description: "Tell spam text messages from normal ones: a text classification.",
        file_name: "sms_spam.csv",
        target: "label",
        credit: "SMS Spam Collection v.1, Almeida & Gómez Hidalgo (2011), UCI, doi:10.24432/C5CC84 (CC BY 4.0)",
        bytes: include_bytes!("../../assets/sms_spam.csv"),
    },
];
