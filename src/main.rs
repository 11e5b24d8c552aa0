fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let _cli = <chaosdeck::cli::Cli as clap::Parser>::parse();
    Ok(())
}
