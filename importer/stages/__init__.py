"""The stages that ask the site: resolve, plan, apply. None imports another."""
