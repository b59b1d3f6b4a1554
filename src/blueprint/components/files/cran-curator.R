# Fill a CRAN-like repository (src/contrib with PACKAGES index files) with the allowlisted R packages and
# everything they need (Depends, Imports, LinkingTo, recursively), all from one dated snapshot.
# Runs in AWS CodeBuild outside the workbench VPC; CodeBuild uploads ./repo to the private bucket.
# Inputs are data: SNAPSHOT_URL (environment) and packages.txt (one package name per line).
snapshot <- Sys.getenv("SNAPSHOT_URL")
if (!nzchar(snapshot)) stop("SNAPSHOT_URL is not set")
wanted <- trimws(readLines("packages.txt", warn = FALSE))
wanted <- unique(wanted[nzchar(wanted) & !startsWith(wanted, "#")])

db <- available.packages(repos = snapshot, type = "source")
missing <- setdiff(wanted, rownames(db))
if (length(missing) > 0) {
  stop("not in the snapshot ", snapshot, ": ", paste(missing, collapse = ", "),
       " (check the names in blueprint.yaml, packages r_allowlist / a team's extra_packages.r)")
}
base <- rownames(installed.packages(priority = "base"))
deps <- tools::package_dependencies(wanted, db = db, which = c("Depends", "Imports", "LinkingTo"), recursive = TRUE)
needed <- sort(setdiff(unique(c(wanted, unlist(deps, use.names = FALSE))), base))

contrib <- file.path("repo", "src", "contrib")
dir.create(contrib, recursive = TRUE, showWarnings = FALSE)
got <- download.packages(needed, destdir = contrib, available = db, repos = snapshot, type = "source")
failed <- setdiff(needed, got[, 1])
if (length(failed) > 0) stop("download failed: ", paste(failed, collapse = ", "))
tools::write_PACKAGES(contrib, type = "source")
writeLines(c(paste("snapshot:", snapshot), paste("packages:", length(needed))), file.path("repo", "SNAPSHOT"))
message("curated ", length(needed), " packages (", length(wanted), " requested) from ", snapshot)
