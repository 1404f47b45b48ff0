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
        if self.file_name.ends_with(".zip") {
            return crate::data::read_path(&self.unpacked()?);
        }
        read_csv_bytes(self.file_name, self.bytes.to_vec())
    }

    /// A sample that is a folder of examples (a zip in the binary) unpacked once into the cache
    /// folder (`<cache>/samples/<id>-<hash>/`, written whole or not at all), and its path.
    fn unpacked(&self) -> Result<std::path::PathBuf, DataError> {
        use sha2::Digest as _;
        let hash = format!("{:x}", sha2::Sha256::digest(self.bytes));
        let root = crate::media::cache::cache_dir().join("samples");
        let dir = root.join(format!("{}-{}", self.id, &hash[..12]));
        if dir.is_dir() {
            return Ok(dir);
        }
        let fail = |message: String| DataError::Invalid { source_name: self.file_name.into(), message };
        let io = |error: std::io::Error| DataError::Io { path: root.clone(), error };
        std::fs::create_dir_all(&root).map_err(io)?;
        let temp = tempfile::tempdir_in(&root).map_err(io)?;
        let mut zip =
            zip::ZipArchive::new(std::io::Cursor::new(self.bytes)).map_err(|e| fail(format!("not a zip: {e}")))?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| fail(e.to_string()))?;
            let Some(name) = entry.enclosed_name() else { continue };
            let path = temp.path().join(name);
            if entry.is_dir() {
                std::fs::create_dir_all(&path).map_err(io)?;
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            let mut file = std::fs::File::create(&path).map_err(io)?;
            std::io::copy(&mut entry, &mut file).map_err(io)?;
        }
        let temp = temp.keep();
        if let Err(error) = std::fs::rename(&temp, &dir) {
            std::fs::remove_dir_all(&temp).ok();
            // Another process unpacked it first: use theirs; anything else is an error.
            if !dir.is_dir() {
                return Err(DataError::Io { path: dir, error });
            }
        }
        Ok(dir)
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
    Sample {
        id: "sentiment",
        title: "Review sentiment",
        description: "Tell positive product, film and restaurant reviews from negative ones: text classification.",
        file_name: "sentiment.csv",
        target: "label",
        credit: "Sentiment Labelled Sentences, Kotzias et al. (2015), UCI, doi:10.24432/C57604 (CC BY 4.0)",
        bytes: include_bytes!("../../assets/sentiment.csv"),
    },
    Sample {
        id: "movies",
        title: "Movie recommendations",
        description: "Predict how each user would rate a film they have not seen, and recommend their top films.",
        file_name: "ratings_synthetic.csv",
        target: "rating",
        credit: "Synthetic ratings made for Cairn (CC0 1.0)",
        bytes: include_bytes!("../../assets/ratings_synthetic.csv"),
    },
    Sample {
        id: "penguins",
        title: "Penguin species",
        description: "Tell three penguin species apart from bill, flipper and body measurements: classification.",
        file_name: "penguins.csv",
        target: "species",
        credit: "Palmer penguins, Gorman, Williams & Fraser (2014), palmerpenguins (CC0 1.0)",
        bytes: include_bytes!("../../assets/penguins.csv"),
    },
    Sample {
        id: "iris",
        title: "Iris flowers",
        description: "The classic first dataset: three iris species from four petal and sepal measurements.",
        file_name: "iris.csv",
        target: "species",
        credit: "Iris data, R. A. Fisher (1936), UCI doi:10.24432/C56C76 (CC BY 4.0)",
        bytes: include_bytes!("../../assets/iris.csv"),
    },
    Sample {
        id: "co2",
        title: "CO2 at Mauna Loa",
        description: "Forecast the next months of carbon dioxide in the air from 37 years of monthly readings: a forecast.",
        file_name: "co2_monthly.csv",
        target: "co2",
        credit: "Mauna Loa CO2, Keeling & Whorf (2004), Scripps Institution of Oceanography, as shipped with statsmodels (public domain)",
        bytes: include_bytes!("../../assets/co2_monthly.csv"),
    },
    Sample {
        id: "spoken-words",
        title: "Spoken words",
        description: "Teach Cairn to hear a word: 160 short clips of yes, no, up and down in many voices, one folder a word.",
        file_name: "spoken_words.zip",
        target: "label",
        credit: "Spoken words made for Cairn with espeak-ng (tools/sound_sample.py; CC0 1.0)",
        bytes: include_bytes!("../../assets/spoken_words.zip"),
    },
];

/// Item id → title from a table describing the items: its `id_column` and a `title` or `name`
/// column (None when it has neither).
pub fn item_titles(ds: &Dataset, id_column: &str) -> Option<std::collections::HashMap<String, String>> {
    let id = ds.column(id_column)?;
    let title = ["title", "name"].iter().find_map(|n| ds.column(n))?;
    Some((0..ds.n_rows()).map(|r| (id.cell_text(r), title.cell_text(r))).collect())
}

/// The film titles of the movie sample, by item id (for showing recommendations).
pub fn movie_titles() -> &'static std::collections::HashMap<String, String> {
    static TITLES: std::sync::OnceLock<std::collections::HashMap<String, String>> = std::sync::OnceLock::new();
    TITLES.get_or_init(|| {
        let Ok(ds) = read_csv_bytes("items_synthetic.csv", include_bytes!("../../assets/items_synthetic.csv").to_vec())
        else {
            return Default::default();
        };
        item_titles(&ds, "item_id").unwrap_or_default()
    })
}
