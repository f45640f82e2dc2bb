//! The `herald` command line: parse, load configuration, dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::{self, App};
use crate::config::{self, Settings, Sources};
use crate::telemetry;

/// Exit status for an invalid configuration: nothing was started.
const EXIT_CONFIG: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "herald",
    version,
    about = "Herald: a self-hosted backend for blog and social-media posts",
    long_about = "Herald stores, publishes, searches and serves posts. With no command it runs \
                  `serve`. Configuration: built-in defaults < herald.toml < DATABASE_URL/REDIS_URL \
                  < HERALD_* environment variables < flags. `herald config` shows the result."
)]
pub struct Cli {
    /// Configuration file [default: ./herald.toml if it exists; env HERALD_CONFIG]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Address and port to listen on, e.g. 0.0.0.0:8080 [env HERALD_LISTEN]
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    listen: Option<String>,
    /// Database URL: sqlite:PATH or postgres://… [env HERALD_DATABASE_URL, DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the HTTP API until SIGINT/SIGTERM (the default)
    Serve,
    /// Apply pending database migrations, print each one applied, and exit
    Migrate,
    /// Print the effective configuration as TOML, secrets redacted, with each value's source
    Config,
    /// Analyse a text (sentiment, keywords, language, readability, entities, platform
    /// limits) and print the analysis as JSON
    Analyze {
        /// File to read; `-` or nothing for standard input
        file: Option<PathBuf>,
        /// Platform to check the text against (repeatable); every platform when absent
        #[arg(long = "platform", value_name = "PLATFORM")]
        platforms: Vec<String>,
    },
    /// Generate post variants from a brief with the configured provider and print them as JSON
    Generate(GenerateArgs),
    /// Manage accounts from the server's shell (creating the first admin, recovering access)
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run queue workers only (no HTTP server), `workers` of them (at least one)
    Worker,
    /// Inspect and control the job queue
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// The access-token signing keys
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Fill an EMPTY database with fake benchmark data in bulk (refuses a database that has posts);
    /// every account's password is `benchpassword`. An interrupted seed leaves the database
    /// without its count triggers: delete it and seed again
    Seed(SeedArgs),
}

#[derive(Debug, clap::Args)]
struct SeedArgs {
    /// Published posts (about 1 % more are drafts)
    #[arg(long, default_value_t = 1_000_000)]
    posts: usize,
    /// Accounts; `bench` is the first
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    #[arg(long, default_value_t = 3_000_000)]
    comments: usize,
    /// Likes (each account likes a post at most once, so popular posts are capped at half the accounts)
    #[arg(long, default_value_t = 5_000_000)]
    likes: usize,
    /// How many authors `bench` follows
    #[arg(long, default_value_t = 200)]
    follows: usize,
    /// Random seed: the same seed gives the same data
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// The brief as JSON (the fields of POST /api/v1/generate); `-` for standard input.
    /// Flags below override its fields.
    #[arg(long, value_name = "FILE")]
    brief: Option<PathBuf>,
    #[arg(long)]
    topic: Option<String>,
    /// Target platform (repeatable)
    #[arg(long = "platform", value_name = "PLATFORM")]
    platforms: Vec<String>,
    #[arg(long)]
    audience: Option<String>,
    /// professional, casual, friendly, enthusiastic, informative or persuasive
    #[arg(long)]
    tone: Option<String>,
    /// Keyword to include (repeatable)
    #[arg(long = "keyword", value_name = "KEYWORD")]
    keywords: Vec<String>,
    #[arg(long = "call-to-action", value_name = "TEXT")]
    call_to_action: Option<String>,
    /// short, medium or long
    #[arg(long)]
    length: Option<String>,
    /// ISO 639-1 language code
    #[arg(long)]
    language: Option<String>,
    /// Variants per platform, 1 to 5
    #[arg(long)]
    variants: Option<i64>,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an account with any role; the password is read from a prompt, or from the
    /// first line of standard input when it is not a terminal (never from the command line)
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        /// viewer, author, editor or admin
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Change an account's role
    SetRole {
        #[arg(long)]
        username: String,
        /// viewer, author, editor or admin
        #[arg(long)]
        role: String,
    },
    /// Disable an account (it cannot sign in; its sessions end), or enable it again
    Disable {
        #[arg(long)]
        username: String,
        /// Enable the account instead
        #[arg(long)]
        enable: bool,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// The signing keys: which one signs, which still verify and until when
    List,
    /// Sign new tokens with a new key; the others keep verifying for the longest token
    /// lifetime, so nobody is signed out
    Rotate,
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Jobs, newest first
    List {
        /// queued, running, succeeded, failed, dead or cancelled (repeatable)
        #[arg(long)]
        state: Vec<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a dead or failed job again
    Retry { id: i64 },
    /// Cancel a job that has not started
    Cancel { id: i64 },
}

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::tls::install_crypto_provider();
    let mut sources = Sources::from_process(cli.config.clone());
    if let Some(listen) = &cli.listen {
        sources.flags.push(("listen", listen.clone(), "--listen"));
    }
    if let Some(url) = &cli.database_url {
        sources.flags.push(("database_url", url.clone(), "--database-url"));
    }
    let (settings, resolved) = match Settings::load(&sources) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprint!("herald: {errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Config = command {
        print!("{}", config::describe(&resolved));
        return ExitCode::SUCCESS;
    }

    let traces = telemetry::logging::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("herald: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Migrate => migrate(settings).await,
            Command::Analyze { file, platforms } => crate::cli_content::analyze(&settings, file, platforms),
            Command::Generate(args) => crate::cli_content::generate(&settings, args.into()).await,
            Command::Admin(admin) => crate::cli_admin::run(settings, admin_request(admin)?).await,
            Command::Worker => crate::cli_jobs::worker(settings).await,
            Command::Jobs(command) => {
                use crate::cli_jobs::Request;
                let request = match command {
                    JobsCommand::List { state, kind, limit } => Request::List { states: state, kind, limit },
                    JobsCommand::Retry { id } => Request::Retry { job_id: id },
                    JobsCommand::Cancel { id } => Request::Cancel { job_id: id },
                };
                crate::cli_jobs::run(settings, request).await
            }
            Command::Keys(command) => {
                let request = match command {
                    KeysCommand::List => crate::cli_keys::Request::List,
                    KeysCommand::Rotate => crate::cli_keys::Request::Rotate,
                };
                crate::cli_keys::run(settings, request).await
            }
            Command::Seed(a) => {
                let request = crate::cli_seed::SeedRequest {
                    posts: a.posts,
                    users: a.users,
                    comments: a.comments,
                    likes: a.likes,
                    follows: a.follows,
                    seed: a.seed,
                };
                crate::cli_seed::run(&settings, request).await
            }
            Command::Serve | Command::Config => serve(settings).await,
        }
    });
    drop(runtime);
    if let Some(traces) = traces {
        traces.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %format_args!("{err:#}"), "herald failed");
            eprintln!("herald: {err:#}");
            ExitCode::FAILURE
        }
    }
}

impl From<GenerateArgs> for crate::cli_content::GenerateRequest {
    fn from(a: GenerateArgs) -> Self {
        crate::cli_content::GenerateRequest {
            brief_file: a.brief,
            topic: a.topic,
            platforms: a.platforms,
            audience: a.audience,
            tone: a.tone,
            keywords: a.keywords,
            call_to_action: a.call_to_action,
            length: a.length,
            language: a.language,
            variants: a.variants,
        }
    }
}

fn admin_request(command: AdminCommand) -> anyhow::Result<crate::cli_admin::Request> {
    use crate::cli_admin::Request;
    Ok(match command {
        AdminCommand::CreateUser { email, username, role, display_name } => {
            let password = crate::cli_admin::read_password()?;
            Request::CreateUser { email, username, role, display_name, password }
        }
        AdminCommand::SetRole { username, role } => Request::SetRole { username, role },
        AdminCommand::Disable { username, enable } => Request::SetDisabled { username, disabled: !enable },
    })
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    app::cancel_on_signal(shutdown.clone());
    App::build(settings).await?.run_until_stopped(shutdown).await
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = crate::store::connect(&settings.database).await?;
    let applied = db.migrate().await?;
    if applied.is_empty() {
        println!("database is up to date ({})", db.backend_name());
    }
    for migration in &applied {
        println!("applied {} {}", migration.version, migration.description);
    }
    db.close().await;
    Ok(())
}
