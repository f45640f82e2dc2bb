//! `herald analyze` and `herald generate`: the content-intelligence services
//! from the shell, printing JSON. Neither needs the database.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::cli_admin::explain;
use crate::config::Settings;
use crate::content::analysis::Analyzer;
use crate::domain::Brief;
use crate::domain::brief::BriefInput;
use crate::service::Error;
use crate::service::analysis::analyze_text;
use crate::service::generation::Generator;

/// A brief from a JSON file and/or flags (flags win).
#[derive(Debug, Default)]
pub struct GenerateRequest {
    pub brief_file: Option<PathBuf>,
    pub topic: Option<String>,
    pub platforms: Vec<String>,
    pub audience: Option<String>,
    pub tone: Option<String>,
    pub keywords: Vec<String>,
    pub call_to_action: Option<String>,
    pub length: Option<String>,
    pub language: Option<String>,
    pub variants: Option<i64>,
}

/// The file's contents, or standard input for `-` or no file.
fn read_input(file: Option<&PathBuf>) -> anyhow::Result<String> {
    match file {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
        }
        _ => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
            Ok(text)
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn analyze(settings: &Settings, file: Option<PathBuf>, platforms: Vec<String>) -> anyhow::Result<()> {
    let text = read_input(file.as_ref())?;
    let analyzer = Analyzer::new(settings.content.mastodon_max_chars);
    let platforms = (!platforms.is_empty()).then_some(platforms);
    let analysis = analyze_text(&analyzer, Some(&text), platforms.as_deref()).map_err(explain)?;
    print_json(&analysis)
}

pub async fn generate(settings: &Settings, request: GenerateRequest) -> anyhow::Result<()> {
    let mut input: BriefInput = match &request.brief_file {
        Some(path) => {
            let json = read_input(Some(path))?;
            serde_json::from_str(&json).context("the brief is not valid JSON of brief fields")?
        }
        None => BriefInput::default(),
    };
    macro_rules! set {
        ($($field:ident),*) => { $(if request.$field.is_some() { input.$field = request.$field; })* };
    }
    set!(topic, audience, tone, call_to_action, length, language, variants);
    if !request.platforms.is_empty() {
        input.platforms = Some(request.platforms);
    }
    if !request.keywords.is_empty() {
        input.keywords = Some(request.keywords);
    }
    let brief = Brief::parse(&input, "").map_err(|e| explain(Error::Validation(e)))?;
    let analyzer = Arc::new(Analyzer::new(settings.content.mastodon_max_chars));
    let generator = Generator::new(&settings.content, analyzer)?;
    let (generation, _) = generator.generate(None, &brief, None).await.map_err(explain)?;
    print_json(&*generation)
}
