"""The 百日清零 campaign: grid sweep records, progress against campaign.toml and the weekly brief."""
