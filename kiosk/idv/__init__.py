"""On-device identity verification: face tracking, quality gates, challenge-response
liveness, 1:1 matching and the decision. Pure logic over frames (numpy arrays), documents
and clocks: no Qt, no concrete driver."""
