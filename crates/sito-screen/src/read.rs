//! Readers for the watchlist (CSV or FollowTheMoney JSON lines) and the applicants (CSV). Every error names the
//! file, the line and the problem; nothing here panics on outside input.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::dates::{DateError, PartialDate};

/// One watchlist entry as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchlistRecord {
    pub id: String,
    /// The main name first, then the aliases.
    pub names: Vec<String>,
    pub birth_dates: Vec<PartialDate>,
    pub birth_place: Option<String>,
    pub country: Option<String>,
}

/// One applicant as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicantRecord {
    pub id: String,
    pub name: String,
    pub birth_date: Option<PartialDate>,
    pub birth_place: Option<String>,
}

/// A failure to read an input file, with where it happened.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not valid UTF-8")]
    Utf8 { path: PathBuf, line: u64 },
    #[error("{path}:1: missing column {column:?} in the header")]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error("{path}:{line}: {source}")]
    Date {
        path: PathBuf,
        line: u64,
        source: DateError,
    },
    #[error("{path}:{line}: {message}")]
    Malformed {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: empty file (no header row)")]
    Empty { path: PathBuf },
    #[error("{path}: unsupported watchlist format (expected .csv, .json or .jsonl)")]
    UnknownFormat { path: PathBuf },
}

/// What the FollowTheMoney reader passed over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FtmSkipped {
    /// Entities of another schema than `Person`.
    pub other_schema: usize,
}

fn open(path: &Path) -> Result<File, ReadError> {
    File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Called with (bytes read, file size) as a file is read, at most once a mebibyte.
pub type Progress<'p> = &'p dyn Fn(u64, u64);

/// A file reader that reports how far it got, for a progress bar on large imports.
struct Counted<'p> {
    file: File,
    read: u64,
    reported: u64,
    total: u64,
    progress: Progress<'p>,
}

impl<'p> Counted<'p> {
    fn open(path: &Path, progress: Progress<'p>) -> Result<Self, ReadError> {
        let file = open(path)?;
        let total = file.metadata().map_or(0, |m| m.len());
        Ok(Self {
            file,
            read: 0,
            reported: 0,
            total,
            progress,
        })
    }
}

impl Read for Counted<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buffer)?;
        self.read += n as u64;
        if self.read - self.reported >= 1 << 20 || (n == 0 && self.read != self.reported) {
            self.reported = self.read;
            (self.progress)(self.read, self.total);
        }
        Ok(n)
    }
}

fn no_progress(_: u64, _: u64) {}

struct CsvTable<'p> {
    reader: csv::Reader<Counted<'p>>,
    columns: Vec<Option<usize>>,
    path: PathBuf,
}

impl<'p> CsvTable<'p> {
    fn open(
        path: &Path,
        required: &[&'static str],
        optional: &[&'static str],
        progress: Progress<'p>,
    ) -> Result<Self, ReadError> {
        let file = Counted::open(path, progress)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(file);
        let header = reader
            .byte_headers()
            .map_err(|e| csv_error(path, e))?
            .clone();
        if header.is_empty() {
            return Err(ReadError::Empty {
                path: path.to_owned(),
            });
        }
        let names: Vec<String> = header
            .iter()
            .map(|field| {
                std::str::from_utf8(field)
                    .map(|s| s.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
                    .map_err(|_| ReadError::Utf8 {
                        path: path.to_owned(),
                        line: 1,
                    })
            })
            .collect::<Result<_, _>>()?;
        let mut columns = Vec::new();
        for column in required {
            let position = names.iter().position(|n| n == column);
            if position.is_none() {
                return Err(ReadError::MissingColumn {
                    path: path.to_owned(),
                    column,
                });
            }
            columns.push(position);
        }
        for column in optional {
            columns.push(names.iter().position(|n| n == column));
        }
        Ok(Self {
            reader,
            columns,
            path: path.to_owned(),
        })
    }

    /// Calls `each` with the line number and the requested fields of every row.
    fn for_each(
        mut self,
        mut each: impl FnMut(u64, &[&str]) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        let mut record = csv::ByteRecord::new();
        loop {
            let more = self
                .reader
                .read_byte_record(&mut record)
                .map_err(|e| csv_error(&self.path, e))?;
            if !more {
                return Ok(());
            }
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let mut fields: Vec<&str> = Vec::with_capacity(self.columns.len());
            for column in &self.columns {
                let bytes = column.and_then(|c| record.get(c)).unwrap_or(b"");
                let text = std::str::from_utf8(bytes).map_err(|_| ReadError::Utf8 {
                    path: self.path.clone(),
                    line,
                })?;
                // No field of ours spans lines: a line break inside one is a quote left open, which would
                // silently swallow every following row (entries never screened against) into this one.
                if text.chars().any(|c| c.is_control() && c != '\t') {
                    return Err(ReadError::Malformed {
                        path: self.path.clone(),
                        line,
                        message:
                            "a field holds a line break or control character (a quote left open?)"
                                .to_owned(),
                    });
                }
                fields.push(text);
            }
            each(line, &fields)?;
        }
    }
}

fn csv_error(path: &Path, error: csv::Error) -> ReadError {
    let line = error.position().map_or(0, |p| p.line());
    match error.kind() {
        csv::ErrorKind::Io(_) => ReadError::Io {
            path: path.to_owned(),
            source: std::io::Error::other(error.to_string()),
        },
        csv::ErrorKind::Utf8 { .. } => ReadError::Utf8 {
            path: path.to_owned(),
            line,
        },
        _ => ReadError::Malformed {
            path: path.to_owned(),
            line,
            message: "malformed CSV row".to_owned(),
        },
    }
}

fn non_empty(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn required_id(path: &Path, line: u64, text: &str) -> Result<String, ReadError> {
    non_empty(text).ok_or_else(|| ReadError::Malformed {
        path: path.to_owned(),
        line,
        message: "empty id".to_owned(),
    })
}

fn date(path: &Path, line: u64, text: &str) -> Result<Option<PartialDate>, ReadError> {
    PartialDate::parse(text).map_err(|source| ReadError::Date {
        path: path.to_owned(),
        line,
        source,
    })
}

/// Reads a watchlist CSV: `id,name,aliases,birth_date,birth_place,country` (aliases separated by `;`).
pub fn read_watchlist_csv(path: &Path) -> Result<Vec<WatchlistRecord>, ReadError> {
    read_watchlist_csv_with_progress(path, &no_progress)
}

fn read_watchlist_csv_with_progress(
    path: &Path,
    progress: Progress<'_>,
) -> Result<Vec<WatchlistRecord>, ReadError> {
    let table = CsvTable::open(
        path,
        &[
            "id",
            "name",
            "aliases",
            "birth_date",
            "birth_place",
            "country",
        ],
        &[],
        progress,
    )?;
    let mut records = Vec::new();
    table.for_each(|line, fields| {
        let id = required_id(path, line, fields[0])?;
        let mut names: Vec<String> = non_empty(fields[1]).into_iter().collect();
        names.extend(fields[2].split(';').filter_map(non_empty));
        if names.is_empty() {
            return Err(ReadError::Malformed {
                path: path.to_owned(),
                line,
                message: "entry without a name".to_owned(),
            });
        }
        let birth_dates = date(path, line, fields[3])?.into_iter().collect();
        records.push(WatchlistRecord {
            id,
            names,
            birth_dates,
            birth_place: non_empty(fields[4]),
            country: non_empty(fields[5]),
        });
        Ok(())
    })?;
    Ok(records)
}

/// Reads the applicants CSV: `id,name,birth_date,birth_place`.
pub fn read_applicants_csv(path: &Path) -> Result<Vec<ApplicantRecord>, ReadError> {
    let table = CsvTable::open(
        path,
        &["id", "name", "birth_date", "birth_place"],
        &[],
        &no_progress,
    )?;
    let mut records = Vec::new();
    table.for_each(|line, fields| {
        let id = required_id(path, line, fields[0])?;
        let name = non_empty(fields[1]).ok_or_else(|| ReadError::Malformed {
            path: path.to_owned(),
            line,
            message: "empty name".to_owned(),
        })?;
        records.push(ApplicantRecord {
            id,
            name,
            birth_date: date(path, line, fields[2])?,
            birth_place: non_empty(fields[3]),
        });
        Ok(())
    })?;
    Ok(records)
}

fn json_strings(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .filter_map(non_empty)
            .collect(),
        Some(serde_json::Value::String(text)) => non_empty(text).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// FollowTheMoney dates may carry a time or be longer than a day; the date part is what we compare.
fn ftm_date(path: &Path, line: u64, text: &str) -> Result<Option<PartialDate>, ReadError> {
    let head: String = text.trim().chars().take(10).collect();
    date(path, line, &head)
}

/// Reads FollowTheMoney entities, one JSON object a line; `Person` entities become records, others are counted.
pub fn read_watchlist_ftm(path: &Path) -> Result<(Vec<WatchlistRecord>, FtmSkipped), ReadError> {
    read_watchlist_ftm_with_progress(path, &no_progress)
}

fn read_watchlist_ftm_with_progress(
    path: &Path,
    progress: Progress<'_>,
) -> Result<(Vec<WatchlistRecord>, FtmSkipped), ReadError> {
    let reader = BufReader::new(Counted::open(path, progress)?);
    let mut records = Vec::new();
    let mut skipped = FtmSkipped::default();
    let mut buffer = Vec::new();
    let mut reader = reader;
    let mut line = 0u64;
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|source| ReadError::Io {
                path: path.to_owned(),
                source,
            })?;
        if read == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&buffer).map_err(|_| ReadError::Utf8 {
            path: path.to_owned(),
            line,
        })?;
        let text = text.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ReadError::Malformed {
                path: path.to_owned(),
                line,
                message: format!("invalid JSON: {e}"),
            })?;
        let malformed = |message: &str| ReadError::Malformed {
            path: path.to_owned(),
            line,
            message: message.to_owned(),
        };
        let object = value
            .as_object()
            .ok_or_else(|| malformed("expected a JSON object"))?;
        let schema = object
            .get("schema")
            .and_then(|s| s.as_str())
            .ok_or_else(|| malformed("entity without a schema"))?;
        if schema != "Person" {
            skipped.other_schema += 1;
            continue;
        }
        let id = object
            .get("id")
            .and_then(|s| s.as_str())
            .and_then(non_empty)
            .ok_or_else(|| malformed("entity without an id"))?;
        let properties = object.get("properties").and_then(|p| p.as_object());
        let property = |name: &str| json_strings(properties.and_then(|p| p.get(name)));
        let mut names = property("name");
        names.extend(property("alias"));
        if names.is_empty() {
            return Err(malformed("Person entity without a name"));
        }
        let mut birth_dates = Vec::new();
        for text in property("birthDate") {
            if let Some(date) = ftm_date(path, line, &text)? {
                birth_dates.push(date);
            }
        }
        records.push(WatchlistRecord {
            id,
            names,
            birth_dates,
            birth_place: property("birthPlace").into_iter().next(),
            // OpenSanctions' Person carries `nationality` more often than `country`; either says the same here.
            country: property("country")
                .into_iter()
                .next()
                .or_else(|| property("nationality").into_iter().next()),
        });
    }
    Ok((records, skipped))
}

/// Reads a watchlist by its file ending: `.csv`, or `.json`/`.jsonl` for FollowTheMoney.
pub fn read_watchlist(path: &Path) -> Result<(Vec<WatchlistRecord>, FtmSkipped), ReadError> {
    read_watchlist_with_progress(path, &no_progress)
}

/// [`read_watchlist`], reporting (bytes read, file size) to `progress` as it goes.
pub fn read_watchlist_with_progress(
    path: &Path,
    progress: Progress<'_>,
) -> Result<(Vec<WatchlistRecord>, FtmSkipped), ReadError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => Ok((
            read_watchlist_csv_with_progress(path, progress)?,
            FtmSkipped::default(),
        )),
        Some("json" | "jsonl") => read_watchlist_ftm_with_progress(path, progress),
        _ => Err(ReadError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
}
