// SPDX-License-Identifier: Apache-2.0
// Tests of the semantic profile diff (issue 5).

import CinchDiff
import Testing

@Suite struct ProfileDiffTests {}
