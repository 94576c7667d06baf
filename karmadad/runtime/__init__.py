"""Controller machinery with no Karmada knowledge: work queues, controllers, informers."""
