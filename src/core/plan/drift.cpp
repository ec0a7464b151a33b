// SPDX-License-Identifier: MIT
#include "core/plan/drift.hpp"
