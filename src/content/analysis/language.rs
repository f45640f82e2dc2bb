//! Language detection with whatlang (trigram profiles, 70 languages, no
//! model to download), reported as ISO 639-1 codes.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;
use utoipa::ToSchema;
use whatlang::Lang;

use super::round_to;

/// Below this many words any guess is noise ("ok", "Hola mundo").
const MIN_WORDS: usize = 3;
/// Detection reads about this many bytes of a text (ending at a space):
/// trigram counts settle well within it, and whatlang's cost grows with
/// the text (a sixth of a 1 KB post's analysis).
const DETECTED_BYTES: usize = 512;

/// The language a text is written in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Language {
    /// ISO 639-1 code (`en`, `es`, `zh`, …); the ISO 639-3 code for languages without one.
    pub code: String,
    /// English name of the language (`English`, `Spanish`, …).
    pub name: String,
    /// Detector confidence from 0 to 1.
    pub confidence: f64,
    /// Whether the detector considers the result reliable (confidence above 0.9).
    pub reliable: bool,
}

/// Detects the language of prose (entities such as links and hashtags
/// should be removed first); `None` when the text is too short or has no letters.
pub(super) fn detect(text: &str) -> Option<Language> {
    if text.unicode_words().take(MIN_WORDS).count() < MIN_WORDS {
        return None;
    }
    let info = whatlang::detect(prefix(text, DETECTED_BYTES))?;
    if info.confidence() <= 0.0 {
        return None;
    }
    let lang = info.lang();
    Some(Language {
        code: iso639_1(lang).to_owned(),
        name: lang.eng_name().to_owned(),
        confidence: round_to(info.confidence(), 3),
        reliable: info.is_reliable(),
    })
}

/// At most `max` bytes of `text`, ending before a white space when there is
/// one, so that no word is cut.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let cut = &text[..text.floor_char_boundary(max)];
    cut.rfind(char::is_whitespace).map_or(cut, |space| &cut[..space])
}

/// whatlang speaks ISO 639-3; everyone else (HTML `lang`, the platforms'
/// APIs) speaks ISO 639-1.
pub(super) fn iso639_1(lang: Lang) -> &'static str {
    match lang.code() {
        "afr" => "af",
        "aka" => "ak",
        "amh" => "am",
        "ara" => "ar",
        "aze" => "az",
        "bel" => "be",
        "ben" => "bn",
        "bul" => "bg",
        "cat" => "ca",
        "ces" => "cs",
        "cmn" => "zh",
        "cym" => "cy",
        "dan" => "da",
        "deu" => "de",
        "ell" => "el",
        "eng" => "en",
        "epo" => "eo",
        "est" => "et",
        "fin" => "fi",
        "fra" => "fr",
        "guj" => "gu",
        "heb" => "he",
        "hin" => "hi",
        "hrv" => "hr",
        "hun" => "hu",
        "hye" => "hy",
        "ind" => "id",
        "ita" => "it",
        "jav" => "jv",
        "jpn" => "ja",
        "kan" => "kn",
        "kat" => "ka",
        "khm" => "km",
        "kor" => "ko",
        "lat" => "la",
        "lav" => "lv",
        "lit" => "lt",
        "mal" => "ml",
        "mar" => "mr",
        "mkd" => "mk",
        "mya" => "my",
        "nep" => "ne",
        "nld" => "nl",
        "nob" => "nb",
        "ori" => "or",
        "pan" => "pa",
        "pes" => "fa",
        "pol" => "pl",
        "por" => "pt",
        "ron" => "ro",
        "rus" => "ru",
        "sin" => "si",
        "slk" => "sk",
        "slv" => "sl",
        "sna" => "sn",
        "spa" => "es",
        "srp" => "sr",
        "swe" => "sv",
        "tam" => "ta",
        "tel" => "te",
        "tgl" => "tl",
        "tha" => "th",
        "tuk" => "tk",
        "tur" => "tr",
        "ukr" => "uk",
        "urd" => "ur",
        "uzb" => "uz",
        "vie" => "vi",
        "yid" => "yi",
        "zul" => "zu",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<String> {
        detect(text).map(|language| language.code)
    }

    #[test]
    fn detects_major_european_languages() {
        let samples = [
            (
                "en",
                "The government announced yesterday that the new economic measures will take effect \
                 next month to help families with lower incomes and small businesses.",
            ),
            (
                "es",
                "El gobierno anunció ayer que las nuevas medidas económicas entrarán en vigor el próximo \
                 mes para ayudar a las familias con menos recursos y a las pequeñas empresas.",
            ),
            (
                "fr",
                "Le gouvernement a annoncé hier que les nouvelles mesures économiques entreront en vigueur \
                 le mois prochain pour aider les familles les plus modestes et les petites entreprises.",
            ),
            (
                "de",
                "Die Regierung hat gestern angekündigt, dass die neuen wirtschaftlichen Maßnahmen im \
                 nächsten Monat in Kraft treten, um Familien mit geringem Einkommen zu helfen.",
            ),
            (
                "pt",
                "O governo anunciou ontem que as novas medidas econômicas vão entrar em vigor no próximo \
                 mês para ajudar as famílias que não têm muitos recursos e as pequenas empresas.",
            ),
            (
                "it",
                "Il governo ha annunciato ieri che le nuove misure economiche entreranno in vigore il mese \
                 prossimo per aiutare le famiglie con redditi più bassi e le piccole imprese.",
            ),
            (
                "nl",
                "De regering heeft gisteren aangekondigd dat de nieuwe economische maatregelen volgende \
                 maand ingaan om gezinnen met een laag inkomen en kleine bedrijven te helpen.",
            ),
        ];
        for (expected, text) in samples {
            assert_eq!(code(text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn reports_english_name_and_confidence() {
        let language =
            detect("This is a fairly long English sentence about the weather and the sea.").unwrap();
        assert_eq!((language.code.as_str(), language.name.as_str()), ("en", "English"));
        assert!((0.0..=1.0).contains(&language.confidence));
    }

    #[test]
    fn too_short_or_letterless_text_has_no_language() {
        assert_eq!(code("Hola mundo"), None);
        assert_eq!(code(""), None);
        assert_eq!(code("123 456 789 000"), None);
    }

    #[test]
    fn a_long_text_is_told_from_its_beginning() {
        let text = format!(
            "{} {}",
            "El rápido zorro marrón salta sobre el perro perezoso en la orilla del río. ".repeat(8),
            "The quick brown fox jumps over the lazy dog by the river bank. ".repeat(40)
        );
        assert_eq!(code(&text), Some("es".to_owned()), "only the first {DETECTED_BYTES} bytes are read");
    }

    #[test]
    fn the_detected_prefix_cuts_neither_a_word_nor_a_character() {
        assert_eq!(prefix("short", 512), "short");
        assert_eq!(prefix("one two three", 9), "one two");
        assert_eq!(prefix("ééééé", 3), "é", "no space: cut at a character boundary");
    }

    #[test]
    fn maps_iso_639_3_to_639_1() {
        assert_eq!(iso639_1(Lang::Cmn), "zh");
        assert_eq!(iso639_1(Lang::Nob), "nb");
        assert_eq!(iso639_1(Lang::Pes), "fa");
        assert_eq!(iso639_1(Lang::Deu), "de");
    }
}
