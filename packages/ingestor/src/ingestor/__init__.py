"""lorchestra's ingestor: a pure Meltano wrapper that extracts one source into one JSONL file.

`extract_to_jsonl` runs a Meltano extractor into target-jsonl and returns a file whose path
depends only on the tap and run id; `iter_jsonl_records` streams that file back, reporting
malformed lines by number; `declared_settings`, `check_project`, `meltano_installed` and
`install_project` look after the Meltano project. The ingestor knows nothing of lorchestra,
events or warehouses: it never imports lorchestra and writes only under the output root it is
given.
"""

from ingestor._extract import extract_to_jsonl, output_path, setting_env_name
from ingestor._host import MeltanoHost
from ingestor._project import (
    Extractor,
    check_project,
    declared_settings,
    find_meltano,
    install_project,
    list_extractors,
    meltano_installed,
    resolve_project_dir,
    source_tree_project,
)
from ingestor._records import BadLine, iter_jsonl_records, read_jsonl_line
from ingestor._runtime import packaged_project_files, runtime_project, runtime_project_dir
from ingestor.errors import (
    ExtractCancelled,
    ExtractError,
    IngestorError,
    InstallError,
    LockTimeoutError,
    MalformedLineError,
    ProjectError,
    UnknownSettingError,
)

__all__ = [
    "BadLine",
    "Extractor",
    "ExtractCancelled",
    "ExtractError",
    "IngestorError",
    "InstallError",
    "LockTimeoutError",
    "MalformedLineError",
    "MeltanoHost",
    "ProjectError",
    "UnknownSettingError",
    "check_project",
    "declared_settings",
    "extract_to_jsonl",
    "find_meltano",
    "install_project",
    "list_extractors",
    "iter_jsonl_records",
    "read_jsonl_line",
    "meltano_installed",
    "output_path",
    "packaged_project_files",
    "resolve_project_dir",
    "runtime_project",
    "runtime_project_dir",
    "source_tree_project",
    "setting_env_name",
]
__version__ = "0.1.0"
