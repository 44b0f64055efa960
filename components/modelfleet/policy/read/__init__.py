"""What the policies read off a resource, split by what it is: property values as the engine
sends them (:mod:`.props`), resource types (:mod:`.types`), modelfleet's labels
(:mod:`.labels`) and where a resource runs (:mod:`.whereabouts`).
"""
