"""Evaluation: the metrics MMagic lacks, local weights, reports, folders.

Registered in MMagic's ``METRICS``: ``LPIPS``, ``PaddedSSIM``,
``PoseTransferFID``, ``PoseTransferIS``; weight-free: ``PairedMSSSIM``,
``GMSD``, ``HaarPSI`` (piq) and ``GarmentFidelity`` (synthetic set). The
protocol is in ``configs/ratenet/_base_/evaluation.py`` and
docs/evaluation.md.
"""
from .folder import (LAYOUTS, RESULT_NAMES, GeneratedFolder, MatchedPair,
                     StoredOutputs, extract_generated, match_generated,
                     parse_generated_name, reference_statistics, result_name,
                     score_pairs)
from .functional import (collect_in_order, feature_statistics,
                         fid_from_features, frechet_distance, load_fid_stats,
                         pad_to_square, save_fid_stats)
from .garment_fidelity import (GarmentFidelity, band_energies, gabor_bank,
                               garment_errors)
from .inception_metrics import PoseTransferFID, PoseTransferIS
from .lpips_metric import LPIPS, lpips_distance
from .piq_metrics import GMSD, HaarPSI, PairedMSSSIM
from .report import (ResultsReportHook, format_table, metrics_table,
                     report_results, run_test_with_report)
from .ssim_metric import PaddedSSIM
from .weights import (MissingWeightsError, PretrainedFile, build_fid_inception,
                      build_is_inception, build_lpips, find_pretrained)

__all__ = [
    'GMSD', 'GarmentFidelity', 'HaarPSI', 'PairedMSSSIM', 'band_energies',
    'gabor_bank', 'garment_errors',
    'LAYOUTS', 'RESULT_NAMES', 'LPIPS', 'GeneratedFolder', 'MatchedPair',
    'MissingWeightsError', 'PaddedSSIM', 'PoseTransferFID', 'PoseTransferIS',
    'PretrainedFile', 'StoredOutputs', 'ResultsReportHook',
    'build_fid_inception', 'build_is_inception', 'build_lpips',
    'collect_in_order', 'extract_generated', 'feature_statistics',
    'fid_from_features', 'find_pretrained', 'format_table', 'frechet_distance',
    'load_fid_stats', 'lpips_distance', 'match_generated',
    'metrics_table', 'pad_to_square', 'parse_generated_name',
    'reference_statistics', 'report_results', 'result_name', 'save_fid_stats',
    'score_pairs', 'run_test_with_report'
]
