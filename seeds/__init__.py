"""The source documents, carried by the package as `guangxi_subsidy.data.seeds` (see guangxi_subsidy/data)."""
